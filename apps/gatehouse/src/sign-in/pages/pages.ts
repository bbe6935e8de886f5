import type { ClientView, PageView } from '@gatehouse/signin';
import type { Branding } from '../branding';
import { html, type Html } from '../html';
import { layout } from '../layout';
import type { Messages } from '../messages/en';
import { PASSKEY_PAGES, PASSKEY_SCRIPTS, passkeyFirstFactor } from './passkeys';

/**
 * One renderer per page (docs/sign-in.md#pages): semantic HTML, one primary action per step,
 * `autocomplete` that password managers understand, every POST with the interaction's CSRF
 * token. A factor's page is found by its step in FACTOR_PAGES; a new factor adds its renderer.
 */
export interface PageContext {
  m: Messages;
  branding: Branding;
  csrf: string;
  /** This response's request id, shown on pages that stop the sign-in. */
  requestId: string;
  /** The WebAuthn origins (docs/sign-in-experience.md#passkeys-on-the-pages). */
  passkeyOrigins?: readonly string[];
}

const csrfField = (csrf: string) => html`<input type="hidden" name="csrf" value="${csrf}" />`;

function clientHeader(m: Messages, client: ClientView): Html {
  return html`${client.logoUri ? html`<img class="logo" src="${client.logoUri}" alt="" />` : null}
    <h1>${m.signInTitle}</h1>
    <p>${m.signInTo(client.name)}</p>`;
}

function cancelForm(ctx: PageContext): Html {
  return html`<form method="post" action="/sign-in/cancel">
    ${csrfField(ctx.csrf)}<button type="submit" class="secondary">${ctx.m.cancel}</button>
  </form>`;
}

export function identifyPage(ctx: PageContext, view: Extract<PageView, { page: 'identify' }>, invalid = false): string {
  const { m } = ctx;
  return layout(
    m,
    ctx.branding,
    m.signInTitle,
    html`${clientHeader(m, view.client)}
      ${invalid ? html`<p class="error" role="alert" id="email-error">${m.invalidEmail}</p>` : null}
      <form method="post" action="/sign-in/identify">
        ${csrfField(ctx.csrf)}
        <label for="email">${m.emailLabel}</label>
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
        <button type="submit">${m.continue}</button>
      </form>
      ${view.passkeys ? passkeyFirstFactor(ctx, view) : null} ${cancelForm(ctx)}`,
    view.passkeys ? { scripts: PASSKEY_SCRIPTS } : {},
  );
}

function passwordPage(ctx: PageContext, view: Extract<PageView, { page: 'factor' }>): string {
  const { m } = ctx;
  const error = view.error === 'rate_limited' ? m.rateLimited : view.error ? m.invalidCredentials : null;
  return layout(
    m,
    ctx.branding,
    m.signInTitle,
    html`${clientHeader(m, view.client)}
      ${error ? html`<p class="error" role="alert" id="password-error">${error}</p>` : null}
      <form method="post" action="/sign-in/password">
        ${csrfField(ctx.csrf)}
        <label for="username">${m.emailLabel}</label>
        <input id="username" name="username" type="email" autocomplete="username" value="${view.email}" readonly />
        <label for="password">${m.passwordLabel}</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          autofocus${error ? html` aria-describedby="password-error" aria-invalid="true"` : null}
        />
        <button type="submit">${m.signIn}</button>
      </form>
      ${cancelForm(ctx)}`,
  );
}

/**
 * The authenticator app's code (docs/sign-in.md#second-factors-on-the-pages):
 * a numeric one-time-code field, and a recovery code as the alternative in a disclosure,
 * posting to the same step, so the page needs no script.
 */
function totpPage(ctx: PageContext, view: Extract<PageView, { page: 'factor' }>): string {
  const { m } = ctx;
  const error = view.error === 'rate_limited' ? m.rateLimited : view.error ? m.mfaInvalid : null;
  const invalid = error ? html` aria-describedby="code-error" aria-invalid="true"` : null;
  return layout(
    m,
    ctx.branding,
    m.mfaTitle,
    html`${view.client.logoUri ? html`<img class="logo" src="${view.client.logoUri}" alt="" />` : null}
      <h1>${m.mfaTitle}</h1>
      <p>${m.signingInAs(view.email)}</p>
      ${error ? html`<p class="error" role="alert" id="code-error">${error}</p>` : null}
      <form method="post" action="/sign-in/mfa">
        ${csrfField(ctx.csrf)}
        <label for="code">${m.mfaCodeLabel}</label>
        <p class="muted" id="code-hint">${m.mfaIntro}</p>
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
        <button type="submit">${m.mfaVerify}</button>
      </form>
      <details>
        <summary>${m.mfaUseRecovery}</summary>
        <form method="post" action="/sign-in/mfa">
          ${csrfField(ctx.csrf)}
          <label for="recovery-code">${m.mfaRecoveryLabel}</label>
          <p class="muted" id="recovery-hint">${m.mfaRecoveryHint}</p>
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
          <button type="submit">${m.mfaVerify}</button>
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
  const { m } = ctx;
  return layout(
    m,
    ctx.branding,
    m.mfaSetupTitle,
    html`<h1>${m.mfaSetupTitle}</h1>
      <p>${m.signingInAs(view.email)}</p>
      <p role="alert">${m.mfaSetupRequired}</p>
      <p>${m.mfaSetupHow}</p>
      <dl>
        <dt>${m.errorRequestId}</dt>
        <dd>${ctx.requestId}</dd>
      </dl>
      <p class="muted">${m.errorHelp}</p>
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
  const { m } = ctx;
  const c = view.client;
  const scopeText = (s: string) => m.scopes[s] ?? m.appScope(s);
  const links = [
    c.clientUri ? html`<a href="${c.clientUri}">${m.consentHome}</a>` : null,
    c.policyUri ? html`<a href="${c.policyUri}">${m.consentPolicy}</a>` : null,
    c.tosUri ? html`<a href="${c.tosUri}">${m.consentTerms}</a>` : null,
  ].filter((l): l is Html => l !== null);
  return layout(
    m,
    ctx.branding,
    m.consentTitle,
    html`${c.logoUri ? html`<img class="logo" src="${c.logoUri}" alt="" />` : null}
      <h1>${m.consentTitle}</h1>
      ${view.notices.map((n) =>
        n.code === 'redirect_host'
          ? html`<p class="redirect-host" data-notice="redirect_host">${m.consentSendsTo(n.hosts.join(', '))}</p>`
          : n.code === 'all_loopback'
            ? html`<p class="warning" role="alert" data-notice="all_loopback">${m.consentLoopback}</p>`
            : html`<p class="muted" data-notice="unverified_name">${m.consentUnverified(n.name)}</p>`,
      )}
      <p>${m.consentIntro(c.name)}</p>
      <ul class="scopes">
        ${view.scopes.map((s) => html`<li>${scopeText(s)}</li>`)}
      </ul>
      <dl>
        <dt>${m.consentClientId}</dt>
        <dd>${c.clientId}</dd>
        <dt>${m.consentRedirect}</dt>
        <dd>${c.redirectHost}</dd>
        ${
          view.resource
            ? html`<dt>${m.consentResource}</dt>
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
            ${m.consentDeny}
          </button>
        </form>
        <form method="post" action="/sign-in/consent">
          ${csrfField(ctx.csrf)}<input type="hidden" name="decision" value="allow" /><button type="submit">
            ${m.consentAllow}
          </button>
        </form>
      </div>`,
  );
}

export function errorPage(m: Messages, branding: Branding, key: string, requestId: string, detail?: string): string {
  return layout(
    m,
    branding,
    m.errorTitle,
    html`<h1>${m.errorTitle}</h1>
      <p>${m.errors[key] ?? m.errors.internal}</p>
      ${detail ? html`<p class="muted">${detail}</p>` : null}
      <dl>
        <dt>${m.errorRequestId}</dt>
        <dd>${requestId}</dd>
      </dl>
      <p class="muted">${m.errorHelp}</p>`,
  );
}

export function stoppedPage(
  m: Messages,
  branding: Branding,
  s: { message: string; recovery: string; decisionId: string; back: string | null },
): string {
  return layout(
    m,
    branding,
    m.stoppedTitle,
    html`<h1>${m.stoppedTitle}</h1>
      <p>${s.message}</p>
      <p>${s.recovery}</p>
      <dl>
        <dt>${m.stoppedDecision}</dt>
        <dd>${s.decisionId}</dd>
      </dl>
      ${s.back ? html`<p><a href="${s.back}">${m.backToApp}</a></p>` : null}`,
  );
}

/** RFC 6749 §4.1.2 via OAuth 2.0 Form Post Response Mode: a form the script (or the person) submits. */
export function formPostPage(m: Messages, branding: Branding, action: string, params: Record<string, string>): string {
  return layout(
    m,
    branding,
    m.redirecting,
    html`<h1>${m.redirecting}</h1>
      <form id="form-post" method="post" action="${action}">
        ${Object.entries(params).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}" />`)}
        <button type="submit">${m.redirecting}</button>
      </form>`,
    { script: true },
  );
}

export function signedOutPage(m: Messages, branding: Branding): string {
  return layout(
    m,
    branding,
    m.signedOutTitle,
    html`<h1>${m.signedOutTitle}</h1>
      <p>${m.signedOut}</p>`,
  );
}
