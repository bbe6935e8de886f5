import { Injectable } from '@nestjs/common';
import type { RequestMeta } from '@gatehouse/audit';
import type { RateLimitPolicy } from '@gatehouse/ratelimit';
import { RequestLimits } from '@gatehouse/tokens';

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
  constructor(private readonly limits: RequestLimits) {}

  async check(meta: RequestMeta, key: string, policy: RateLimitPolicy, orgId: string | null): Promise<void> {
    await this.limits.enforce(meta, { key, policy, orgId });
  }

  address(meta: RequestMeta, flow: string, policy: RateLimitPolicy, orgId: string | null): Promise<void> {
    return this.check(meta, `${flow}:addr:${meta.sourceIp ?? 'unknown'}`, policy, orgId);
  }

  account(meta: RequestMeta, flow: string, orgId: string, email: string): Promise<void> {
    return this.check(meta, `${flow}:acct:${orgId}:${email.toLowerCase()}`, LINK_PER_ACCOUNT, orgId);
  }
}
