import type { RevocationClaims } from './revocation-rule';

/**
 * The table both sides are tested against: the verifier's feed (revocation-rule.spec.ts)
 * and Gatehouse's Postgres and Redis checks (test/revocation-rule.e2e-spec.ts).
 * Marks are in seconds relative to the token's `iat`.
 */
export interface RevocationCase {
  name: string;
  claims: Omit<RevocationClaims, 'iat'>;
  revokedJtis: string[];
  marks: { subject: string; atS: number }[];
  dead: boolean;
}

const user = { jti: 'jti_self', sub: 'usr_1', org_id: 'org_1', client_id: 'app_1' };
const step = { ...user, parent_jti: 'jti_parent' };

export const REVOCATION_CASES: RevocationCase[] = [
  { name: 'nothing revoked', claims: user, revokedJtis: [], marks: [], dead: false },
  { name: 'its own jti', claims: user, revokedJtis: ['jti_self'], marks: [], dead: true },
  { name: 'another jti', claims: user, revokedJtis: ['jti_other'], marks: [], dead: false },
  { name: 'a step token whose parent is revoked', claims: step, revokedJtis: ['jti_parent'], marks: [], dead: true },
  { name: 'a step token whose parent is alive', claims: step, revokedJtis: ['jti_other'], marks: [], dead: false },
  {
    name: 'a mark on its subject after iat',
    claims: user,
    revokedJtis: [],
    marks: [{ subject: 'usr_1', atS: 5 }],
    dead: true,
  },
  {
    name: 'a mark in the same second as iat',
    claims: user,
    revokedJtis: [],
    marks: [{ subject: 'usr_1', atS: 0 }],
    dead: true,
  },
  { name: 'a mark before iat', claims: user, revokedJtis: [], marks: [{ subject: 'usr_1', atS: -5 }], dead: false },
  { name: 'a mark on its org', claims: user, revokedJtis: [], marks: [{ subject: 'org_1', atS: 1 }], dead: true },
  { name: 'a mark on its client', claims: step, revokedJtis: [], marks: [{ subject: 'app_1', atS: 1 }], dead: true },
  { name: 'a mark on someone else', claims: user, revokedJtis: [], marks: [{ subject: 'usr_2', atS: 5 }], dead: false },
];
