/**
 * Access-token claims (docs/design.md §3, a contract). libs/verifier owns the public claim
 * types (§1): Gatehouse mints exactly what its downstream verifiers check.
 */
export { ACCESS_TOKEN_TYP, type AccessTokenClaims, type ActClaim } from '@gatehouse/verifier';
