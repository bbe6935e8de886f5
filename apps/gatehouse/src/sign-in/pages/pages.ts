import type { ClientView, MessageKey, PageView } from '@gatehouse/signin';
import type { Branding } from '../branding';
import { html, type Html } from '../html';
import { layout } from '../layout';
import { accountLinks } from './link-pages';
import type { PageText } from '../page-text';
import { PASSKEY_PAGES, PASSKEY_SCRIPTS, passkeyFirstFactor } from './passkeys';

/**
 * One renderer per page (docs/sign-in.md#pages): semantic HTML, one primary action per step,
 * `autocomplete` that password managers understand, every POST with the interaction's CSRF
 * token. A factor's page is found by its step in FACTOR_PAGES; a new factor adds its renderer.
 */
export interface PageContext {
  text: PageText;
  branding: Branding;
  csrf: string;
  /** This response's request id, shown on pages that stop the sign-in. */
  requestId: string;
  /** The WebAuthn origins (docs/sign-in-experience.md#passkeys-on-the-pages). */
  passkeyOrigins?: readonly string[];
  /** The org's link pages: "Forgot password?", and sign-up where the org takes it. */
  links?: { forgotPassword: string; signUp: string | null };
}

/** The words of the scopes a consent page knows; any other scope is shown by its name. */
const SCOPE_KEYS: Record<string, MessageKey> = {
  openid: 'page.scope.openid',
  profile: 'page.scope.profile',
  email: 'page.scope.email',
  offline_access: 'page.scope.offline_access',
};

/** The error pages' messages, by the key the renderer is given. */
const ERROR_KEYS: Record<string, MessageKey> = {
  invalid_client: 'page.error.invalid_client',
  invalid_redirect_uri: 'page.error.invalid_redirect_uri',
  invalid_request: 'page.error.invalid_request',
  expired: 'page.error.expired',
  forbidden: 'page.error.forbidden',
  unavailable: 'page.error.unavailable',
  not_found: 'page.error.not_found',
  internal: 'page.error.internal',
  rate_limited: 'page.rate_limited',
};

const csrfField = (csrf: string) => html`<input type="hidden" name="csrf" value="${csrf}" />`;

function clientHeader({ t }: PageText, client: ClientView): Html {
  return html`${client.logoUri ? html`<img class="logo" src="${client.logoUri}" alt="" />` : null}
    <h1>${t('page.sign_in.title')}</h1>
    <p>${t('page.sign_in.to_app', { app: client.name })}</p>`;
}

function cancelForm(ctx: PageContext): Html {
  return html`<form method="post" action="/sign-in/cancel">
    ${csrfField(ctx.csrf)}<button type="submit" class="secondary">${ctx.text.t('page.cancel')}</button>
  </form>`;
}

export function identifyPage(ctx: PageContext, view: Extract<PageView, { page: 'identify' }>, invalid = false): string {
  const { text } = ctx;
  const { t } = text;
  return layout(
    text,
    ctx.branding,
    t('page.sign_in.title'),
    html`${clientHeader(text, view.client)}
      ${invalid ? html`<p class="error" role="alert" id="email-error">${t('page.invalid_email')}</p>` : null}
      <form method="post" action="/sign-in/identify">
        ${csrfField(ctx.csrf)}
        <label for="email">${t('page.email.label')}</label>
        <input
          id="email"
          name="email"
          type="email"
          autocomplete="${view.passkeys ? 'username webauthn' : 'username'}"
          required
          autofocus
          spellcheck="false"
          value="${view.loginHint ?? ''}"
          ${invalid ? html` aria-describedby="email-error" aria-invalid="true"` : null}
        />
        <button type="submit">${t('page.continue')}</button>
      </form>
      ${view.passkeys ? passkeyFirstFactor(ctx, view) : null} ${ctx.links ? accountLinks(text, ctx.links) : null}
      ${cancelForm(ctx)}`,
    view.passkeys ? { scripts: PASSKEY_SCRIPTS } : {},
  );
}

function passwordPage(ctx: PageContext, view: Extract<PageView, { page: 'factor' }>): string {
  const { text } = ctx;
  const { t } = text;
  const error =
    view.error === 'rate_limited' ? t('page.rate_limited') : view.error ? t('page.invalid_credentials') : null;
  return layout(
    text,
    ctx.branding,
    t('page.sign_in.title'),
    html`${clientHeader(text, view.client)}
      ${error ? html`<p class="error" role="alert" id="password-error">${error}</p>` : null}
      <form method="post" action="/sign-in/password">
        ${csrfField(ctx.csrf)}
        <label for="username">${t('page.email.label')}</label>
        <input id="username" name="username" type="email" autocomplete="username" value="${view.email}" readonly />
        <label for="password">${t('page.password.label')}</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          autofocus${error ? html` aria-describedby="password-error" aria-invalid="true"` : null}
        />
        <button type="submit">${t('page.sign_in')}</button>
      </form>
      ${ctx.links ? accountLinks(text, ctx.links) : null} ${cancelForm(ctx)}`,
  );
}

/**
 * The authenticator app's code (docs/sign-in.md#second-factors-on-the-pages):
 * a numeric one-time-code field, and a recovery code as the alternative in a disclosure,
 * posting to the same step, so the page needs no script.
 */
function totpPage(ctx: PageContext, view: Extract<PageView, { page: 'factor' }>): string {
  const { text } = ctx;
  const { t } = text;
  const error = view.error === 'rate_limited' ? t('page.rate_limited') : view.error ? t('page.mfa.invalid') : null;
  const invalid = error ? html` aria-describedby="code-error" aria-invalid="true"` : null;
  return layout(
    text,
    ctx.branding,
    t('page.mfa.title'),
    html`${view.client.logoUri ? html`<img class="logo" src="${view.client.logoUri}" alt="" />` : null}
      <h1>${t('page.mfa.title')}</h1>
      <p>${t('page.signing_in_as', { email: view.email })}</p>
      ${error ? html`<p class="error" role="alert" id="code-error">${error}</p>` : null}
      <form method="post" action="/sign-in/mfa">
        ${csrfField(ctx.csrf)}
        <label for="code">${t('page.mfa.code_label')}</label>
        <p class="muted" id="code-hint">${t('page.mfa.intro')}</p>
        <input
          id="code"
          name="code"
          type="text"
          inputmode="numeric"
          pattern="[0-9]{6}"
          maxlength="6"
          autocomplete="one-time-code"
          required
          autofocus
          aria-describedby="code-hint"
          ${invalid}
        />
        <button type="submit">${t('page.mfa.verify')}</button>
      </form>
      <details>
        <summary>${t('page.mfa.use_recovery')}</summary>
        <form method="post" action="/sign-in/mfa">
          ${csrfField(ctx.csrf)}
          <label for="recovery-code">${t('page.mfa.recovery_label')}</label>
          <p class="muted" id="recovery-hint">${t('page.mfa.recovery_hint')}</p>
          <input
            id="recovery-code"
            name="code"
            type="text"
            autocomplete="off"
            autocapitalize="off"
            spellcheck="false"
            required
            aria-describedby="recovery-hint"
          />
          <button type="submit">${t('page.mfa.verify')}</button>
        </form>
      </details>
      ${cancelForm(ctx)}`,
  );
}

/**
 * The org's policy asks for a second factor this account lacks, or one the pages cannot
 * take yet (docs/sign-in.md#second-factors-on-the-pages): a 403 page with the
 * request id, and only the way back to the application.
 */
function secondFactorSetupPage(ctx: PageContext, view: Extract<PageView, { page: 'factor' }>): string {
  const { text } = ctx;
  const { t } = text;
  return layout(
    text,
    ctx.branding,
    t('page.mfa.setup_title'),
    html`<h1>${t('page.mfa.setup_title')}</h1>
      <p>${t('page.signing_in_as', { email: view.email })}</p>
      <p role="alert">${t('page.mfa.setup_required')}</p>
      <p>${t('page.mfa.setup_how')}</p>
      <dl>
        <dt>${t('page.error.request_id')}</dt>
        <dd>${ctx.requestId}</dd>
      </dl>
      <p class="muted">${t('page.error.help')}</p>
      ${cancelForm(ctx)}`,
  );
}

/** The page of each factor, by its step. */
export const FACTOR_PAGES: Record<string, (ctx: PageContext, view: Extract<PageView, { page: 'factor' }>) => string> = {
  password: passwordPage,
  mfa: totpPage,
  mfa_setup: secondFactorSetupPage,
  ...PASSKEY_PAGES,
};

export function consentPage(ctx: PageContext, view: Extract<PageView, { page: 'consent' }>): string {
  const { text } = ctx;
  const { t } = text;
  const c = view.client;
  const scopeText = (s: string) => (SCOPE_KEYS[s] ? t(SCOPE_KEYS[s]) : t('page.scope.other', { scope: s }));
  const links = [
    c.clientUri ? html`<a href="${c.clientUri}">${t('page.consent.home')}</a>` : null,
    c.policyUri ? html`<a href="${c.policyUri}">${t('page.consent.policy')}</a>` : null,
    c.tosUri ? html`<a href="${c.tosUri}">${t('page.consent.terms')}</a>` : null,
  ].filter((l): l is Html => l !== null);
  return layout(
    text,
    ctx.branding,
    t('page.consent.title'),
    html`${c.logoUri ? html`<img class="logo" src="${c.logoUri}" alt="" />` : null}
      <h1>${t('page.consent.title')}</h1>
      ${view.notices.map((n) =>
        n.code === 'redirect_host'
          ? html`<p class="redirect-host" data-notice="redirect_host">
              ${t('page.consent.sends_to', { hosts: n.hosts.join(', ') })}
            </p>`
          : n.code === 'all_loopback'
            ? html`<p class="warning" role="alert" data-notice="all_loopback">${t('page.consent.loopback')}</p>`
            : html`<p class="muted" data-notice="unverified_name">
                ${t('page.consent.unverified', { name: n.name })}
              </p>`,
      )}
      <p>${t('page.consent.intro', { app: c.name })}</p>
      <ul class="scopes">
        ${view.scopes.map((s) => html`<li>${scopeText(s)}</li>`)}
      </ul>
      <dl>
        <dt>${t('page.consent.client_id')}</dt>
        <dd>${c.clientId}</dd>
        <dt>${t('page.consent.redirect')}</dt>
        <dd>${c.redirectHost}</dd>
        ${
          view.resource
            ? html`<dt>${t('page.consent.resource')}</dt>
                <dd>${view.resource}</dd>`
            : null
        }
      </dl>
      ${links.length ? html`<p class="muted">${links.map((l, i) => html`${i ? ' · ' : ''}${l}`)}</p>` : null}
      <div class="actions">
        <form method="post" action="/sign-in/consent">
          ${csrfField(ctx.csrf)}<input type="hidden" name="decision" value="deny" /><button
            type="submit"
            class="secondary"
          >
            ${t('page.consent.deny')}
          </button>
        </form>
        <form method="post" action="/sign-in/consent">
          ${csrfField(ctx.csrf)}<input type="hidden" name="decision" value="allow" /><button type="submit">
            ${t('page.consent.allow')}
          </button>
        </form>
      </div>`,
  );
}

/**
 * The org requires a policy version this person has not accepted (docs/sign-in.md#policy):
 * the document, the version, and one primary action that accepts it and finishes the sign-in;
 * Cancel returns `access_denied` to the app.
 */
export function policyPage(ctx: PageContext, view: Extract<PageView, { page: 'policy' }>): string {
  const { text } = ctx;
  const { t } = text;
  return layout(
    text,
    ctx.branding,
    t('page.policy.title'),
    html`<h1>${t('page.policy.title')}</h1>
      <p>${t('page.policy.intro', { org: view.client.orgName, version: view.version })}</p>
      ${
        view.documentUrl
          ? html`<p><a href="${view.documentUrl}" data-policy-document>${t('page.policy.read')}</a></p>`
          : null
      }
      <dl>
        <dt>${t('page.policy.version')}</dt>
        <dd>${view.version}</dd>
        <dt>${t('page.stopped.decision')}</dt>
        <dd>${view.decisionId}</dd>
      </dl>
      <div class="actions">
        <form method="post" action="/sign-in/cancel">
          ${csrfField(ctx.csrf)}<button type="submit" class="secondary">${t('page.policy.cancel')}</button>
        </form>
        <form method="post" action="/sign-in/policy">
          ${csrfField(ctx.csrf)}<input type="hidden" name="version" value="${view.version}" /><button type="submit">
            ${t('page.policy.accept')}
          </button>
        </form>
      </div>`,
  );
}

export function errorPage(text: PageText, branding: Branding, key: string, requestId: string, detail?: string): string {
  const { t } = text;
  return layout(
    text,
    branding,
    t('page.error.title'),
    html`<h1>${t('page.error.title')}</h1>
      <p>${t(ERROR_KEYS[key] ?? 'page.error.internal')}</p>
      ${detail ? html`<p class="muted" lang="en">${detail}</p>` : null}
      <dl>
        <dt>${t('page.error.request_id')}</dt>
        <dd>${requestId}</dd>
      </dl>
      <p class="muted">${t('page.error.help')}</p>`,
  );
}

export function stoppedPage(
  text: PageText,
  branding: Branding,
  s: { message: string; recovery: string; decisionId: string; back: string | null },
): string {
  const { t } = text;
  return layout(
    text,
    branding,
    t('page.stopped.title'),
    html`<h1>${t('page.stopped.title')}</h1>
      <p lang="en">${s.message}</p>
      <p lang="en">${s.recovery}</p>
      <dl>
        <dt>${t('page.stopped.decision')}</dt>
        <dd>${s.decisionId}</dd>
      </dl>
      ${s.back ? html`<p><a href="${s.back}">${t('page.back_to_app')}</a></p>` : null}`,
  );
}

/** RFC 6749 §4.1.2 via OAuth 2.0 Form Post Response Mode: a form the script (or the person) submits. */
export function formPostPage(
  text: PageText,
  branding: Branding,
  action: string,
  params: Record<string, string>,
): string {
  const { t } = text;
  return layout(
    text,
    branding,
    t('page.redirecting'),
    html`<h1>${t('page.redirecting')}</h1>
      <form id="form-post" method="post" action="${action}">
        ${Object.entries(params).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}" />`)}
        <button type="submit">${t('page.redirecting')}</button>
      </form>`,
    { script: true },
  );
}

export function signedOutPage(text: PageText, branding: Branding): string {
  const { t } = text;
  return layout(
    text,
    branding,
    t('page.signed_out.title'),
    html`<h1>${t('page.signed_out.title')}</h1>
      <p>${t('page.signed_out.body')}</p>`,
  );
}
