import { randomBytes } from 'node:crypto';
import { RevocationMirror, TokenRevocationService } from '@gatehouse/tokens';
import { REVOCATION_CASES } from '../libs/verifier/src/revocation-rule.cases';
import { hasRedis, startGatehouse, type TestGatehouse } from './support/gatehouse';

const IAT = Math.floor(Date.now() / 1000);

/**
 * Gatehouse's side of the shared revocation table (docs/architecture.md#one-revocation-rule: one rule for issuer and
 * verifier; libs/verifier/src/revocation-rule.spec.ts is the verifier's side). Each case's
 * facts are written to PostgreSQL as revocations are, then asked of the Postgres check and
 * of the Redis mirror after a rebuild.
 */
(hasRedis() ? describe : describe.skip)('the revocation rule, as Gatehouse applies it', () => {
  let gh: TestGatehouse;
  let revocations: TokenRevocationService;
  let mirror: RevocationMirror;

  beforeAll(async () => {
    gh = await startGatehouse({ redis: true });
    revocations = gh.app.get(TokenRevocationService);
    mirror = gh.app.get(RevocationMirror);
  });
  afterAll(() => gh?.close());

  describe.each(REVOCATION_CASES)('$name', (c) => {
    // Unique ids per case, so the cases do not see each other's facts.
    const tag = randomBytes(4).toString('hex');
    const id = (x: string | undefined) => (x === undefined ? undefined : `${x}_${tag}`);
    const claims = {
      jti: id(c.claims.jti)!,
      sub: id(c.claims.sub)!,
      org_id: id(c.claims.org_id),
      client_id: id(c.claims.client_id),
      parent_jti: id(c.claims.parent_jti),
      iat: IAT,
    };

    beforeAll(async () => {
      for (const jti of c.revokedJtis) {
        await gh.sql(`INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, now() + interval '1 hour')`, [id(jti)]);
      }
      for (const m of c.marks) {
        await gh.sql(`INSERT INTO principal_revocations (subject_id, valid_after) VALUES ($1, to_timestamp($2))`, [
          id(m.subject),
          IAT + m.atS,
        ]);
      }
    });

    it('PostgreSQL', async () => {
      expect(await revocations.isRevokedInPostgres(claims)).toBe(c.dead);
    });

    it('the Redis mirror', async () => {
      expect(await mirror.rebuild()).toBe(true);
      expect(await mirror.check(claims)).toBe(c.dead);
    });
  });
});
