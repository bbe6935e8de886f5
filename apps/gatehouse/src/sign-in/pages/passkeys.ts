import type { MessageKey, PageView } from '@gatehouse/signin';
import { html, type Html } from '../html';
import { layout } from '../layout';
import type { PageContext } from './pages';

/**
 * The passkey markup of the hosted pages (docs/sign-in-experience.md#passkeys-on-the-pages).
 * Every control that needs WebAuthn is `hidden` until the page script has checked the
 * browser can run it; the hidden `#passkey-form` carries the CSRF token and the credential's
 * JSON, and posts to the step like any other form. Without JavaScript the pages work as
 * before, and the passkey-only steps say what the browser lacks.
 */
export const PASSKEY_SCRIPTS = ['simplewebauthn-browser.js', 'passkeys.js'] as const;

type FactorView = Extract<PageView, { page: 'factor' }>;
type IdentifyView = Extract<PageView, { page: 'identify' }>;

function t(ctx: PageContext, key: MessageKey, params?: Record<string, string>): string {
  return ctx.text.t(key, params);
}

const csrfField = (csrf: string) => html`<input type="hidden" name="csrf" value="${csrf}" />`;

function passkeyForm(ctx: PageContext, action: string, ceremony: 'get' | 'create', autofill = false): Html {
  return html`<form
    id="passkey-form"
    method="post"
    action="/sign-in/${action}"
    data-ceremony="${ceremony}"
    data-origins="${(ctx.passkeyOrigins ?? []).join(' ')}"
    ${autofill ? html`data-autofill` : null}
    hidden
  >
    ${csrfField(ctx.csrf)}<input type="hidden" name="response" value="" />
  </form>`;
}

/** The error the script reveals when a ceremony fails in the browser; shown at once when the server refused. */
function passkeyError(ctx: PageContext, key: MessageKey, shown: boolean): Html {
  return html`<p class="error" role="alert" id="passkey-error" tabindex="-1" ${shown ? null : html`hidden`}>
    ${t(ctx, key)}
  </p>`;
}

function unsupported(ctx: PageContext): Html {
  return html`<p class="muted" data-passkey-unsupported hidden>${t(ctx, 'page.passkey.unsupported')}</p>
    <noscript><p class="muted">${t(ctx, 'page.passkey.unsupported')}</p></noscript>`;
}

function cancelForm(ctx: PageContext): Html {
  return html`<form method="post" action="/sign-in/cancel">
    ${csrfField(ctx.csrf)}<button type="submit" class="secondary">${t(ctx, 'page.cancel')}</button>
  </form>`;
}

/**
 * Under the identifier form: "Sign in with a passkey", and conditional mediation on the
 * email field (`autocomplete="username webauthn"`). Nothing typed is sent with it.
 */
export function passkeyFirstFactor(ctx: PageContext, view: IdentifyView): Html {
  return html`${passkeyError(ctx, 'page.passkey.failed', view.error === 'passkey_failed')}
    <div data-passkey hidden>
      <p class="muted">${t(ctx, 'page.passkey.or')}</p>
      <button type="button" id="passkey-button" class="secondary">${t(ctx, 'page.sign_in_with_passkey')}</button>
    </div>
    ${passkeyForm(ctx, 'passkey', 'get', true)}`;
}

/** After the password: one of the user's passkeys; the code instead when the user has an authenticator app. */
function passkeySecondFactorPage(ctx: PageContext, view: FactorView): string {
  const title = t(ctx, 'page.passkey.title');
  return layout(
    ctx.text,
    ctx.branding,
    title,
    html`${view.client.logoUri ? html`<img class="logo" src="${view.client.logoUri}" alt="" />` : null}
      <h1>${title}</h1>
      <p>${t(ctx, 'page.signing_in_as', { email: view.email })}</p>
      ${passkeyError(ctx, 'page.passkey.second_failed', !!view.error)}
      <p>${t(ctx, 'page.passkey.intro')}</p>
      <div data-passkey hidden>
        <button type="button" id="passkey-button">${t(ctx, 'page.passkey.use')}</button>
      </div>
      ${unsupported(ctx)} ${passkeyForm(ctx, 'passkey', 'get')}
      ${
        view.alternatives?.includes('mfa')
          ? html`<form method="post" action="/sign-in/passkey">
              ${csrfField(ctx.csrf)}<input type="hidden" name="alternative" value="totp" />
              <button type="submit" class="secondary">${t(ctx, 'page.passkey.use_code')}</button>
            </form>`
          : null
      }
      ${cancelForm(ctx)}`,
    { scripts: PASSKEY_SCRIPTS },
  );
}

/** The org requires a passkey this user lacks: one is created here, and the sign-in goes on. */
function passkeySetupPage(ctx: PageContext, view: FactorView): string {
  const title = t(ctx, 'page.passkey.register');
  return layout(
    ctx.text,
    ctx.branding,
    title,
    html`<h1>${title}</h1>
      <p>${t(ctx, 'page.signing_in_as', { email: view.email })}</p>
      ${passkeyError(ctx, 'page.passkey.setup_failed', !!view.error)}
      <p>${t(ctx, 'page.passkey.required', { org: view.client.orgName })}</p>
      <p class="muted">${t(ctx, 'page.passkey.setup_intro')}</p>
      <div data-passkey hidden>
        <button type="button" id="passkey-button">${t(ctx, 'page.passkey.register')}</button>
      </div>
      ${unsupported(ctx)} ${passkeyForm(ctx, 'passkey_setup', 'create')} ${cancelForm(ctx)}`,
    { scripts: PASSKEY_SCRIPTS },
  );
}

/** The passkey steps' pages, by step (merged into FACTOR_PAGES). */
export const PASSKEY_PAGES: Record<string, (ctx: PageContext, view: FactorView) => string> = {
  passkey: passkeySecondFactorPage,
  passkey_setup: passkeySetupPage,
};
