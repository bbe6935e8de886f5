import { redact, REDACTED } from './redact';

describe('redact', () => {
  it('replaces secret-looking fields at any depth and keeps the rest', () => {
    const out = redact({
      name: 'app',
      client_secret: 'ghs_x',
      nested: { password: 'p', list: [{ refresh_token: 'ghr_y', ok: 1 }] },
      totpSecret: 'JBSW',
      token_ttl_s: 600,
      step: { policy_token: 'gha_z', policy_version: '2026-12' },
    });
    expect(out).toEqual({
      name: 'app',
      client_secret: REDACTED,
      nested: { password: REDACTED, list: [{ refresh_token: REDACTED, ok: 1 }] },
      totpSecret: REDACTED,
      token_ttl_s: 600,
      step: { policy_token: REDACTED, policy_version: '2026-12' },
    });
  });
});
