import { REVOCATION_CASES } from './revocation-rule.cases';
import { RevocationFeed } from './revocation-feed';

const IAT = 1_800_000_000;

/** The verifier's side of the shared table: the feed, loaded as a sync would load it. */
describe('the revocation rule, as the verifier’s feed applies it', () => {
  it.each(REVOCATION_CASES)('$name', (c) => {
    const feed = new RevocationFeed({} as never);
    feed.apply({
      revoked_tokens: c.revokedJtis.map((jti) => ({ jti, expires_at: new Date((IAT + 3600) * 1000).toISOString() })),
      principal_revocations: c.marks.map((m) => ({
        subject_id: m.subject,
        valid_after: new Date((IAT + m.atS) * 1000).toISOString(),
      })),
    });
    expect(feed.isRevoked({ ...c.claims, iat: IAT } as never)).toBe(c.dead);
  });
});
