import { Injectable } from '@nestjs/common';
import { Problems } from '@gatehouse/core';
import { RefusalAudit, type RequestMeta } from '@gatehouse/audit';
import { RateLimiter, rateLimitHeaders, type RateLimitPolicy } from '@gatehouse/ratelimit';

/**
 * Limits of the emailed-link flows and self-service sign-in steps
 * (docs/sign-in-experience.md#bad-input-and-abuse). Keys name the address as typed
 * (normalised), whether or not an account has it, so a refusal says nothing about one.
 */
export const LINK_PER_ACCOUNT: RateLimitPolicy = { name: 'link-account', limit: 3, windowS: 900 };
export const LINK_PER_ADDRESS: RateLimitPolicy = { name: 'link-address', limit: 20, windowS: 3600 };
export const SIGNUP_PER_ORG: RateLimitPolicy = { name: 'signup-org', limit: 100, windowS: 3600 };
export const REDEEM_PER_ADDRESS: RateLimitPolicy = { name: 'redeem-address', limit: 30, windowS: 300 };

@Injectable()
export class FlowLimits {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly refusals: RefusalAudit,
  ) {}

  async check(meta: RequestMeta, key: string, policy: RateLimitPolicy, orgId: string | null): Promise<void> {
    const r = await this.limiter.check(key, policy);
    if (!r.allowed) {
      await this.refusals.rateLimited(meta, { key, policy, retryAfterS: r.retryAfterS, orgId });
      throw Problems.rateLimited(rateLimitHeaders(r), r.retryAfterS);
    }
  }

  address(meta: RequestMeta, flow: string, policy: RateLimitPolicy, orgId: string | null): Promise<void> {
    return this.check(meta, `${flow}:addr:${meta.sourceIp ?? 'unknown'}`, policy, orgId);
  }

  account(meta: RequestMeta, flow: string, orgId: string, email: string): Promise<void> {
    return this.check(meta, `${flow}:acct:${orgId}:${email.toLowerCase()}`, LINK_PER_ACCOUNT, orgId);
  }
}
