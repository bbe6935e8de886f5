import type { Tier } from '@gatehouse/core';

/**
 * Access-token claims (ARCHITECTURE.md §3, a contract). `org`/`org_id` appear on app and
 * user tokens only, never on admin tokens. (These move to libs/verifier, which owns the
 * public claim types, when that library is built.)
 */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  scope: string;
  tier: Tier;
  client_id?: string;
  org?: string;
  org_id?: string;
}

export const ACCESS_TOKEN_TYP = 'at+jwt';
