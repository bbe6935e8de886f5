/**
 * One limiter for Gatehouse and the resource servers (docs/design.md §6): the GCRA
 * arithmetic, the Lua script, the key scheme and the RateLimit header fields live in
 * @gatehouse/verifier, which downstream services install; Gatehouse uses the same code,
 * so both enforce one budget per token on one Redis with the same decisions.
 */
export {
  ceilS,
  decisionFromReply,
  gcraParams,
  GCRA_LUA,
  rateLimitHeaders,
  type RateLimitDecision as RateLimitResult,
  type RateLimitPolicy,
} from '@gatehouse/verifier';
