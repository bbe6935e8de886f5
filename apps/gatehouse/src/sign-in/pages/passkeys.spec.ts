import { DEFAULT_BRANDING } from '../branding';
import { pageText } from '../page-text';
import { FACTOR_PAGES, identifyPage } from './pages';

const client = {
  clientId: 'app_1',
  name: 'Notes',
  logoUri: null,
  clientUri: null,
  policyUri: null,
  tosUri: null,
  redirectHost: 'notes.example',
  orgName: 'acme',
};
const ctx = {
  text: pageText('en'),
  branding: DEFAULT_BRANDING,
  csrf: 'csrf-token',
  requestId: 'req_test',
  passkeyOrigins: ['https://id.example'],
};
const identify = (passkeys: boolean, error?: 'passkey_failed') =>
  identifyPage(ctx, { page: 'identify', client, loginHint: null, passkeys, error });

/** docs/sign-in-experience.md#passkeys-on-the-pages */
describe('the passkey markup', () => {
  it('keeps every passkey control hidden until the script reveals it, so the page works without JavaScript', () => {
    const out = identify(true);
    expect(out).toContain('autocomplete="username webauthn"');
    expect(out).toMatch(/<div data-passkey hidden>/);
    expect(out).toMatch(/id="passkey-error" tabindex="-1" hidden/);
    expect(out).toMatch(
      /<form\s+id="passkey-form"[^>]*data-origins="https:\/\/id.example"[^>]*data-autofill[^>]*hidden/,
    );
    // Scripts from Gatehouse's origin only, none inline.
    expect(out).toContain('<script src="/sign-in/assets/simplewebauthn-browser.js" defer></script>');
    expect(out).not.toMatch(/<script>(?!<\/script>)/);
    // The identifier form itself is untouched: it still posts the email.
    expect(out).toContain('action="/sign-in/identify"');
  });

  it('offers nothing of passkeys where the org turned them off', () => {
    const out = identify(false);
    expect(out).toContain('autocomplete="username"');
    expect(out).not.toContain('passkey');
  });

  it('shows the refusal at once after a refused passkey, one message whatever the reason', () => {
    expect(identify(true, 'passkey_failed')).toMatch(
      /id="passkey-error" tabindex="-1"\s*>\s*That passkey could not be used/,
    );
  });

  it('the second-factor page offers the code only to a user who has one', () => {
    const view = { page: 'factor' as const, step: 'passkey' as const, client, email: 'a@acme.test' };
    expect(FACTOR_PAGES.passkey!(ctx, { ...view, alternatives: ['mfa'] })).toContain('name="alternative" value="totp"');
    expect(FACTOR_PAGES.passkey!(ctx, { ...view, alternatives: [] })).not.toContain('name="alternative"');
  });
});
