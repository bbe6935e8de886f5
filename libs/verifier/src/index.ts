/**
 * `@gatehouse/verifier`: verify Gatehouse access tokens offline (JWKS cached by kid,
 * revocation feed, per-token rate limits). No framework here; NestJS support is in
 * `@gatehouse/verifier/nest`.
 */
export * from './claims';
export * from './errors';
export * from './principal';
export * from './act-chain';
export * from './verifier';
export * from './revocation-rule';
export { REVOCATION_FEED_SCOPE } from './revocation-feed';
export type { FeedCredentials, RevocationHealth, RevocationMode } from './revocation-feed';
export type { KeySetHealth } from './key-set';
export type { FetchLike } from './http';
export { MAX_TOKEN_LENGTH, TokenChecker, type ClaimRules, type ParsedToken } from './jwt';
export * from './rate-limit/gcra';
export * from './rate-limit/token-rate-limiter';
export * from './decision-client';
export * from './dpop';
export * from './resource-server';
