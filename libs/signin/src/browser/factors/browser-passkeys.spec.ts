import { redactChallenges } from './browser-passkeys';

describe('redactChallenges (docs/sign-in-experience.md#passkeys-on-the-pages)', () => {
  it('takes challenges out of a refusal reason and keeps origins readable', () => {
    const challenge = Buffer.from('ghw_' + 'A'.repeat(43)).toString('base64url');
    const reason = `assertion not verified: Unexpected authentication response challenge "${challenge}", expected "${challenge}"`;
    expect(redactChallenges(reason)).not.toContain(challenge);
    expect(redactChallenges(reason)).toContain('"[redacted]"');
    const origin = 'Unexpected authentication response origin "https://evil.example", expected "http://localhost:3000"';
    expect(redactChallenges(origin)).toBe(origin);
  });
});
