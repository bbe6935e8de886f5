import { totp, type TestGatehouse } from './gatehouse';
import { SoftAuthenticator } from './soft-authenticator';
import { linkIn, readMailDir } from './mailbox';

/**
 * The sign-in experience's part of the audit coverage journey (docs/sign-in-experience.md):
 * one org of its own, so nothing here touches what the rest of the journey counts.
 */
export async function signInExperienceJourney(gh: TestGatehouse, admin: string): Promise<void> {
  const ok = (r: { status: number; text: string }, status = 200) => {
    if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${r.text}`);
  };
  const org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'signin', display_name: 'Sign-in' } }))
    .body as { id: string };

  // org.sign_in_settings.changed, org.branding.changed
  ok(
    await gh.api('PUT', `/v1/orgs/${org.id}/sign-in-settings`, {
      token: admin,
      body: { passkeys: 'optional', mfa: 'optional', signup: 'open', signup_domains: [], default_locale: 'en' },
    }),
  );
  ok(await gh.api('PUT', `/v1/orgs/${org.id}/branding`, { token: admin, body: { primary_color: '#1a56db' } }));

  // user.password_reset.requested, user.password_reset.completed (the link read from the store's
  // table is not possible: only its hash is kept, so the journey completes with an unknown link)
  const email = 'journey@signin.test';
  ok(
    await gh.api('POST', `/v1/orgs/${org.id}/users`, { token: admin, body: { email, password: 'Walk-Through-4242' } }),
    201,
  );
  ok(await gh.api('POST', `/v1/orgs/${org.id}/password-reset`, { body: { email } }), 202);
  ok(
    await gh.api('POST', `/v1/orgs/${org.id}/password-reset/complete`, {
      body: { token: 'ghp_unknown', password: 'Walk-Through-4343' },
    }),
    400,
  );

  // user.mfa.enrolled, user.mfa.activated, user.login.second_factor_required, user.login.mfa,
  // user.recovery_code.used, user.mfa.removed
  const app = (
    await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
      token: admin,
      body: { password_login: true, name: 'web', scopes: ['a'] },
    })
  ).body as { client_id: string };
  const login = () =>
    gh.api('POST', `/v1/orgs/${org.id}/users/login`, {
      body: { client_id: app.client_id, email, password: 'Walk-Through-4242' },
    });
  const first = await login();
  ok(first);
  const me = first.body.access_token as string;
  const seed = await gh.api('POST', '/v1/me/mfa/enroll', { token: me });
  ok(seed);
  const activated = await gh.api('POST', '/v1/me/mfa/activate', {
    token: me,
    body: { code: await totp(seed.body.secret, -1) },
  });
  ok(activated);
  const step = await login();
  ok(step);
  const codes = activated.body.recovery_codes as string[];
  ok(
    await gh.api('POST', `/v1/orgs/${org.id}/users/login/mfa`, {
      body: { mfa_token: step.body.mfa_token, code: codes[0] },
    }),
  );
  ok(await gh.api('DELETE', '/v1/me/mfa', { token: me, body: { code: codes[1] } }), 204);

  // passkey.registered, passkey.renamed, passkey.rejected, passkey.deleted
  const device = new SoftAuthenticator(gh.url.replace('127.0.0.1', 'localhost'), 'localhost');
  const options = await gh.api('POST', '/v1/me/passkeys/registration-options', { token: me });
  ok(options);
  const created = await gh.api('POST', '/v1/me/passkeys', {
    token: me,
    body: { response: device.create(options.body) },
  });
  ok(created, 201);
  ok(await gh.api('PATCH', `/v1/me/passkeys/${created.body.id}`, { token: me, body: { name: 'Phone' } }));
  ok(await gh.api('POST', '/v1/me/passkeys', { token: me, body: { response: device.create(options.body) } }), 401);
  ok(await gh.api('DELETE', `/v1/me/passkeys/${created.body.id}`, { token: me }), 204);

  // user.signup.requested, user.signup.verified, user.invited, user.invitation.accepted:
  // the links are read from the mail folder (no SMTP server here).
  const linkTo = async (to: string) => {
    for (let i = 0; i < 100; i++) {
      const mail = readMailDir(gh.env.GATEHOUSE_MAIL_DIR!).find((m) => m.to[0]!.includes(to));
      if (mail) return linkIn(mail).searchParams.get('token')!;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no mail to ${to}`);
  };
  ok(
    await gh.api('POST', `/v1/orgs/${org.id}/signup`, {
      body: { email: 'self@signin.test', password: 'Walk-Through-4242' },
    }),
    202,
  );
  ok(
    await gh.api('POST', `/v1/orgs/${org.id}/signup/verify`, { body: { token: await linkTo('self@signin.test') } }),
    201,
  );
  ok(
    await gh.api('POST', `/v1/orgs/${org.id}/invitations`, { token: admin, body: { email: 'guest@signin.test' } }),
    201,
  );
  ok(
    await gh.api('POST', `/v1/orgs/${org.id}/invitations/accept`, {
      body: { token: await linkTo('guest@signin.test'), password: 'Walk-Through-4242' },
    }),
    201,
  );
}
