import { Injectable } from '@nestjs/common';
import { Problems } from '@gatehouse/core';
import { RefusalAudit, type RateLimitRefusal, type RequestMeta } from '@gatehouse/audit';
import { RateLimiter, rateLimitHeaders } from '@gatehouse/ratelimit';

/** A request to count: the limiter key and policy, and who the refusal row names. */
export type CountedRequest = Omit<RateLimitRefusal, 'retryAfterS'>;

/** The RateLimit header fields every limited response carries, and the wait on a refusal. */
export type RequestCount =
  | { allowed: true; headers: Record<string, string> }
  | { allowed: false; headers: Record<string, string>; retryAfterS: number };

/** What a refusal becomes; by default the management API's 429 problem. */
export type RefusalError = (count: { headers: Record<string, string>; retryAfterS: number }) => Error;

const tooManyRequests: RefusalError = (c) => Problems.rateLimited(c.headers, c.retryAfterS);

/**
 * The one refusal sequence of every rate-limited request (docs/design.md §6): count against
 * the limiter, write the `ratelimit.refused` audit row (once per key and window), then
 * refuse with 429, Retry-After and the IETF RateLimit fields. Bearer routes, client
 * authentication, dynamic registration and every sign-in step use it.
 */
@Injectable()
export class RequestLimits {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly refusals: RefusalAudit,
  ) {}

  /** Counts the request; a refusal is audited before it is returned (for callers that answer it themselves). */
  async count(meta: RequestMeta, r: CountedRequest): Promise<RequestCount> {
    const result = await this.limiter.check(r.key, r.policy);
    const headers = rateLimitHeaders(result);
    if (result.allowed) return { allowed: true, headers };
    await this.refusals.rateLimited(meta, { ...r, retryAfterS: result.retryAfterS });
    return { allowed: false, headers, retryAfterS: result.retryAfterS };
  }

  /** {@link count}, throwing `refusal` (default: 429 `rate_limited`) on a refusal; returns the RateLimit fields. */
  async enforce(
    meta: RequestMeta,
    r: CountedRequest,
    refusal: RefusalError = tooManyRequests,
  ): Promise<Record<string, string>> {
    const c = await this.count(meta, r);
    if (!c.allowed) throw refusal(c);
    return c.headers;
  }
}
