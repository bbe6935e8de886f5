import type { TestGatehouse } from './gatehouse';

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
}
