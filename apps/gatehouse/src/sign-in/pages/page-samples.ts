import type { ClientView } from '@gatehouse/signin';
import { DEFAULT_BRANDING, type Branding } from '../branding';
import type { PageText } from '../page-text';
import {
  consentPage,
  errorPage,
  FACTOR_PAGES,
  formPostPage,
  identifyPage,
  policyPage,
  signedOutPage,
  stoppedPage,
  type PageContext,
} from './pages';
import {
  forgotPasswordPage,
  linkExpiredPage,
  newPasswordPage,
  noticePage,
  signupPage,
  verifyEmailPage,
  type LinkPageContext,
} from './link-pages';

/**
 * Every hosted page, rendered with sample data, for the specs that check all of them at once
 * (every string from the catalogue, every locale complete). A new page adds its samples here.
 */
export const SAMPLE_DATA = {
  email: 'ada@example.com',
  requestId: 'req_01SAMPLE',
  clientName: 'Notes',
  clientId: 'app_01SAMPLE',
  redirectHost: 'notes.example',
  resource: 'https://api.notes.example',
  decisionId: 'dec_01SAMPLE',
  policyVersion: '2026-12',
  product: DEFAULT_BRANDING.displayName,
};

const client: ClientView = {
  clientId: SAMPLE_DATA.clientId,
  name: SAMPLE_DATA.clientName,
  logoUri: null,
  clientUri: 'https://notes.example/',
  policyUri: 'https://notes.example/privacy',
  tosUri: 'https://notes.example/terms',
  redirectHost: SAMPLE_DATA.redirectHost,
  orgName: 'Acme',
};

export function samplePages(text: PageText, branding: Branding = DEFAULT_BRANDING): Record<string, string> {
  const ctx: PageContext = { text, branding, csrf: 'csrf', requestId: SAMPLE_DATA.requestId };
  const factor = (step: string, error?: 'invalid_credentials' | 'rate_limited') =>
    FACTOR_PAGES[step](ctx, { page: 'factor', step: step as never, client, email: SAMPLE_DATA.email, error });
  return {
    identify: identifyPage(ctx, { page: 'identify', client, loginHint: null, passkeys: false }),
    identify_invalid: identifyPage(ctx, { page: 'identify', client, loginHint: null, passkeys: false }, true),
    identify_passkey: identifyPage(ctx, { page: 'identify', client, loginHint: null, passkeys: true }),
    identify_passkey_failed: identifyPage(ctx, {
      page: 'identify',
      client,
      loginHint: null,
      passkeys: true,
      error: 'passkey_failed',
    }),
    password: factor('password'),
    password_wrong: factor('password', 'invalid_credentials'),
    password_limited: factor('password', 'rate_limited'),
    mfa: factor('mfa'),
    mfa_wrong: factor('mfa', 'invalid_credentials'),
    mfa_setup: factor('mfa_setup'),
    passkey: FACTOR_PAGES.passkey(ctx, {
      page: 'factor',
      step: 'passkey',
      client,
      email: SAMPLE_DATA.email,
      alternatives: ['mfa'],
    }),
    passkey_wrong: factor('passkey', 'invalid_credentials'),
    passkey_setup: factor('passkey_setup'),
    passkey_setup_wrong: factor('passkey_setup', 'invalid_credentials'),
    consent: consentPage(ctx, {
      page: 'consent',
      client,
      scopes: ['openid', 'profile', 'email', 'offline_access'],
      resource: SAMPLE_DATA.resource,
      notices: [
        { code: 'redirect_host', hosts: [SAMPLE_DATA.redirectHost] },
        { code: 'all_loopback' },
        { code: 'unverified_name', name: SAMPLE_DATA.clientName },
      ],
    }),
    policy: policyPage(ctx, {
      page: 'policy',
      client,
      version: SAMPLE_DATA.policyVersion,
      documentUrl: 'https://notes.example/policy',
      decisionId: SAMPLE_DATA.decisionId,
    }),
    error: errorPage(text, branding, 'expired', SAMPLE_DATA.requestId),
    stopped: stoppedPage(text, branding, {
      message: '',
      recovery: '',
      decisionId: SAMPLE_DATA.decisionId,
      back: 'https://notes.example/cb',
    }),
    form_post: formPostPage(text, branding, 'https://notes.example/cb', { code: 'c' }),
    signed_out: signedOutPage(text, branding),
    identify_with_links: identifyPage(
      { ...ctx, links: { forgotPassword: '/f', signUp: '/s' } },
      { page: 'identify', client, loginHint: null, passkeys: false },
    ),
    ...sampleLinkPages(text, branding),
  };
}

function sampleLinkPages(text: PageText, branding: Branding): Record<string, string> {
  const { t } = text;
  const ctx: LinkPageContext = {
    text,
    branding,
    csrf: 'csrf',
    requestId: SAMPLE_DATA.requestId,
    base: '/sign-in/org_01',
    clientId: SAMPLE_DATA.clientId,
  };
  const org = branding.displayName;
  const newPassword = (error?: string) =>
    newPasswordPage(ctx, {
      page: 'reset-password',
      title: t('page.reset.title'),
      intro: t('page.new_password.hint'),
      button: t('page.reset.save'),
      token: 'ghp_x',
      error,
    });
  return {
    forgot_password: forgotPasswordPage(ctx),
    forgot_password_invalid: forgotPasswordPage(ctx, { email: 'x', error: t('page.invalid_email') }),
    reset_sent: noticePage(ctx, t('page.reset.sent_title'), t('page.reset.sent', { email: SAMPLE_DATA.email })),
    reset_password: newPassword(),
    reset_password_weak: newPassword(t('page.new_password.weak', { reason: t('page.weak.length') })),
    reset_done: noticePage(ctx, t('page.reset.done_title'), t('page.reset.done')),
    invitation: newPasswordPage(ctx, {
      page: 'invitation',
      title: t('page.invitation.title', { org }),
      intro: t('page.invitation.intro'),
      button: t('page.invitation.accept'),
      token: 'ghn_x',
    }),
    invitation_done: noticePage(ctx, t('page.invitation.done_title'), t('page.invitation.done')),
    verify_email: verifyEmailPage(ctx, 'ghv_x', org),
    signup_done: noticePage(ctx, t('page.signup.done_title'), t('page.signup.done')),
    link_expired: linkExpiredPage(ctx, '/sign-in/org_01/forgot-password'),
    signup: signupPage(ctx, { org, policyVersion: SAMPLE_DATA.policyVersion }),
    signup_closed: signupPage(ctx, {
      org,
      policyVersion: null,
      email: SAMPLE_DATA.email,
      error: { field: 'email', message: t('page.signup.closed', { org }) },
    }),
    signup_sent: noticePage(ctx, t('page.signup.sent_title'), t('page.signup.sent', { email: SAMPLE_DATA.email })),
  };
}
