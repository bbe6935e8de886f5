import type { AccessTokenClaims } from './claims';
import { RevocationFeed } from './revocation-feed';

const claims = (over: Partial<AccessTokenClaims> = {}): AccessTokenClaims => ({
  iss: 'https://id.test',
  sub: 'usr_1',
  aud: 'https://api.test',
  exp: 2_000_000_000,
  iat: 1_800_000_000,
  nbf: 1_800_000_000,
  jti: 'jti_1',
  scope: 'read',
  tier: 'user',
  client_id: 'app_1',
  org_id: 'org_1',
  ...over,
});

describe('access stops from the revocation feed (docs/control.md#offline)', () => {
  it('refuses the tokens of a stopped org or app while the latest entry says stopped', () => {
    const feed = new RevocationFeed({} as never);
    expect(feed.stoppedFor(claims())).toBeNull();
    feed.apply({ access_stops: [{ subject_id: 'org_1', stopped: true, reason: 'governance_paused' }] });
    expect(feed.stoppedFor(claims())).toBe('governance_paused');
    expect(feed.stoppedFor(claims({ org_id: 'org_2', client_id: 'app_2' }))).toBeNull();
    // Oldest first within a page: stopped, then lifted, is lifted.
    feed.apply({
      access_stops: [
        { subject_id: 'app_1', stopped: true, reason: 'governance_paused' },
        { subject_id: 'org_1', stopped: false, reason: null },
      ],
    });
    expect(feed.stoppedFor(claims())).toBe('governance_paused');
    expect(feed.stoppedFor(claims({ client_id: 'app_9' }))).toBeNull();
    feed.apply({ access_stops: [{ subject_id: 'app_1', stopped: false, reason: null }] });
    expect(feed.stoppedFor(claims())).toBeNull();
    // A stop is not a revocation: the token is not revoked, and lifts with the stop.
    expect(feed.isRevoked(claims())).toBe(false);
  });
});
