import type { Branding } from '../branding';
import { html, type Html } from '../html';
import { layout } from '../layout';
import type { PageText } from '../page-text';

/**
 * The pages an emailed link leads to, and the forms that send those mails
 * (docs/sign-in-experience.md#links): forgot password → reset, sign-up → verify, invitation.
 * Every form carries the page's CSRF token and the app it came from; passwords are
 * `autocomplete="new-password"` so a password manager offers to generate and save one.
 */
export interface LinkPageContext {
  text: PageText;
  branding: Branding;
  csrf: string;
  requestId: string;
  /** `/sign-in/{orgId}`: where this org's link pages are. */
  base: string;
  clientId: string | null;
}

function hidden(ctx: LinkPageContext): Html {
  return html`<input type="hidden" name="csrf" value="${ctx.csrf}" />${
      ctx.clientId ? html`<input type="hidden" name="client_id" value="${ctx.clientId}" />` : null
    }`;
}

/** A link to another page of the org, keeping the app. */
export function linkHref(ctx: Pick<LinkPageContext, 'base' | 'clientId'>, page: string): string {
  return `${ctx.base}/${page}${ctx.clientId ? `?client_id=${encodeURIComponent(ctx.clientId)}` : ''}`;
}

function errorLine(id: string, message: string | null): Html | null {
  return message ? html`<p class="error" role="alert" id="${id}">${message}</p>` : null;
}

const invalid = (id: string, on: boolean) => (on ? html` aria-describedby="${id}" aria-invalid="true"` : null);

export function forgotPasswordPage(ctx: LinkPageContext, s: { email?: string; error?: string | null } = {}): string {
  const { t } = ctx.text;
  return layout(
    ctx.text,
    ctx.branding,
    t('page.reset.title'),
    html`<h1>${t('page.reset.title')}</h1>
      <p>${t('page.reset.intro')}</p>
      ${errorLine('email-error', s.error ?? null)}
      <form method="post" action="${ctx.base}/forgot-password">
        ${hidden(ctx)}
        <label for="email">${t('page.email.label')}</label>
        <input
          id="email"
          name="email"
          type="email"
          autocomplete="username"
          required
          autofocus
          spellcheck="false"
          value="${s.email ?? ''}"
          ${invalid('email-error', Boolean(s.error))}
        />
        <button type="submit">${t('page.reset.send')}</button>
      </form>`,
  );
}

/** A page that only tells: a mail was sent, a password was changed, an account is ready. */
export function noticePage(ctx: LinkPageContext, title: string, body: string, next?: Html): string {
  return layout(
    ctx.text,
    ctx.branding,
    title,
    html`<h1>${title}</h1>
      <p role="status">${body}</p>
      ${next ?? html`<p class="muted">${ctx.text.t('page.back_to_sign_in')}</p>`}`,
  );
}

/** Choose a new password: the reset link and the invitation. */
export function newPasswordPage(
  ctx: LinkPageContext,
  s: {
    page: string;
    title: string;
    intro: string;
    button: string;
    token: string;
    email?: string;
    error?: string | null;
  },
): string {
  const { t } = ctx.text;
  return layout(
    ctx.text,
    ctx.branding,
    s.title,
    html`<h1>${s.title}</h1>
      <p>${s.intro}</p>
      ${errorLine('password-error', s.error ?? null)}
      <form method="post" action="${ctx.base}/${s.page}">
        ${hidden(ctx)}<input type="hidden" name="token" value="${s.token}" />
        ${
          s.email
            ? html`<label for="username">${t('page.email.label')}</label>
                <input
                  id="username"
                  name="username"
                  type="email"
                  autocomplete="username"
                  value="${s.email}"
                  readonly
                />`
            : null
        }
        <label for="password">${t('page.new_password.label')}</label>
        <p class="muted" id="password-hint">${t('page.new_password.hint')}</p>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="new-password"
          minlength="12"
          required
          autofocus
          aria-describedby="password-hint${s.error ? ' password-error' : ''}"
          ${s.error ? html` aria-invalid="true"` : null}
        />
        <button type="submit">${s.button}</button>
      </form>`,
  );
}

/** The sign-up link: one button, so a mail scanner that fetches the link does not use it. */
export function verifyEmailPage(ctx: LinkPageContext, token: string, org: string): string {
  const { t } = ctx.text;
  return layout(
    ctx.text,
    ctx.branding,
    t('page.signup.verify_title'),
    html`<h1>${t('page.signup.verify_title')}</h1>
      <p>${t('page.signup.verify_intro', { org })}</p>
      <form method="post" action="${ctx.base}/verify-email">
        ${hidden(ctx)}<input type="hidden" name="token" value="${token}" />
        <button type="submit">${t('page.signup.verify')}</button>
      </form>`,
  );
}

/** Unknown, spent, expired or another org's link: one page, with the way to ask again. */
export function linkExpiredPage(ctx: LinkPageContext, askAgain: string | null): string {
  const { t } = ctx.text;
  return layout(
    ctx.text,
    ctx.branding,
    t('page.link.expired_title'),
    html`<h1>${t('page.link.expired_title')}</h1>
      <p>${t('page.link.expired')}</p>
      ${askAgain ? html`<p><a href="${askAgain}">${t('page.link.ask_again')}</a></p>` : null}
      <dl>
        <dt>${t('page.error.request_id')}</dt>
        <dd>${ctx.requestId}</dd>
      </dl>
      <p class="muted">${t('page.error.help')}</p>`,
  );
}

export function signupPage(
  ctx: LinkPageContext,
  s: {
    org: string;
    policyVersion: string | null;
    email?: string;
    error?: { field: 'email' | 'password' | 'policy'; message: string };
  },
): string {
  const { t } = ctx.text;
  const err = s.error;
  return layout(
    ctx.text,
    ctx.branding,
    t('page.signup.title', { org: s.org }),
    html`<h1>${t('page.signup.title', { org: s.org })}</h1>
      ${errorLine(`${err?.field}-error`, err?.message ?? null)}
      <form method="post" action="${ctx.base}/signup">
        ${hidden(ctx)}
        <label for="email">${t('page.email.label')}</label>
        <input
          id="email"
          name="email"
          type="email"
          autocomplete="username"
          required
          autofocus
          spellcheck="false"
          value="${s.email ?? ''}"
          ${invalid('email-error', err?.field === 'email')}
        />
        <label for="password">${t('page.password.label')}</label>
        <p class="muted" id="password-hint">${t('page.new_password.hint')}</p>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="new-password"
          minlength="12"
          required
          aria-describedby="password-hint${err?.field === 'password' ? ' password-error' : ''}"
          ${err?.field === 'password' ? html` aria-invalid="true"` : null}
        />
        ${
          s.policyVersion
            ? html`<label class="check" for="policy"
                ><input
                  id="policy"
                  name="policy_version"
                  type="checkbox"
                  value="${s.policyVersion}"
                  required
                  ${invalid('policy-error', err?.field === 'policy')}
                />${t('page.signup.policy', { org: s.org, version: s.policyVersion })}</label
              >`
            : null
        }
        <button type="submit">${t('page.signup.create')}</button>
      </form>`,
  );
}

/** The identifier and password pages' ways out: forgot password, and sign-up where the org takes it. */
export function accountLinks(text: PageText, links: { forgotPassword: string; signUp: string | null }): Html {
  return html`<p class="links">
    <a href="${links.forgotPassword}">${text.t('page.forgot_password')}</a>
    ${links.signUp ? html`<a href="${links.signUp}">${text.t('page.sign_up')}</a>` : null}
  </p>`;
}
