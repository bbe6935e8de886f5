/**
 * The one revocation rule, shared by Gatehouse and every verifier (docs/design.md §8,
 * docs/architecture.md#one-revocation-rule). A token is dead when
 * - its own `jti` is revoked, or its parent's (`parent_jti`): a step token dies with the
 *   token it was exchanged from. Deeper ancestors are covered because revoking a token
 *   also revokes, by `jti`, every token exchanged from it, transitively (the cascade is
 *   written when the revocation is), so each verifier needs only the list of jtis;
 * - or it was issued no later than a "valid after" mark on its subject, its org or its
 *   client (revoke-all, disablement, deletion, a new password). `iat` has whole seconds,
 *   so a token from the mark's own second counts as before it;
 * - or its signing key was revoked: then it does not verify at all (the key is gone from
 *   the key set on both sides), which is why the rule itself does not name keys.
 *
 * Each side looks the facts up its own way (a Map, one Redis MGET, one SQL query) and asks
 * this function.
 */
export interface RevocationClaims {
  jti: string;
  sub: string;
  iat: number;
  org_id?: string;
  client_id?: string;
  parent_jti?: string;
}

export interface RevocationFacts {
  /** Whether this jti is listed as revoked. */
  jtiRevoked(jti: string): boolean;
  /** The "valid after" mark of a subject (a user, an app, an org, an admin), in epoch ms. */
  validAfterMs(subjectId: string): number | undefined;
}

/** What a check must look up for `c`: the jtis (own and parent) and the marked subjects. */
export function revocationKeys(c: RevocationClaims): { jtis: string[]; subjects: string[] } {
  return {
    jtis: c.parent_jti === undefined ? [c.jti] : [c.jti, c.parent_jti],
    subjects: [c.sub, c.org_id, c.client_id].filter((x): x is string => typeof x === 'string'),
  };
}

export function isRevokedBy(c: RevocationClaims, facts: RevocationFacts): boolean {
  const { jtis, subjects } = revocationKeys(c);
  if (jtis.some((j) => facts.jtiRevoked(j))) return true;
  const iatMs = c.iat * 1000;
  return subjects.some((id) => {
    const mark = facts.validAfterMs(id);
    return mark !== undefined && iatMs <= mark;
  });
}
