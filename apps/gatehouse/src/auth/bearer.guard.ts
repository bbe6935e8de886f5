import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { Problems, type Principal } from '@gatehouse/core';
import { RateLimiter, rateLimitHeaders } from '@gatehouse/ratelimit';
import type { FastifyReply } from 'fastify';
import { ACCESS_RULE, DEFAULT_ACCESS, IS_PUBLIC, type AccessRule } from '../http/public.decorator';

/**
 * The global guard: every route needs a valid bearer token unless marked @Public(), and
 * the token's tier and scopes must satisfy the route's @Access rule (full admin session by
 * default). A token of one tier never passes a route meant for another.
 */
@Injectable()
export class BearerGuard extends AuthGuard('bearer') {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiter,
  ) {
    super();
  }

  override async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    await super.canActivate(ctx);
    const principal = ctx.switchToHttp().getRequest<{ user: Principal }>().user;
    const rule = this.reflector.getAllAndOverride<AccessRule>(ACCESS_RULE, targets) ?? DEFAULT_ACCESS;
    if (!rule.tiers.includes(principal.tier)) {
      throw Problems.forbidden(`This endpoint is not available to ${principal.tier} tokens.`);
    }
    const missing = rule.scopes.find((s) => !principal.scopes.includes(s));
    if (missing) throw Problems.insufficientScope(missing);
    await this.countRequest(principal, ctx.switchToHttp().getResponse<FastifyReply>());
    return true;
  }

  override handleRequest<T>(err: unknown, user: T): T {
    if (err) throw err;
    if (!user) throw Problems.missingToken();
    return user;
  }

  /**
   * ARCHITECTURE.md §6: every bearer request counts against its token (jti) with the
   * app's rate_limit (admin tokens: the platform default). Limited responses carry the
   * IETF RateLimit-Policy and RateLimit fields; a refusal is 429 with Retry-After.
   */
  private async countRequest(principal: Principal, reply: FastifyReply): Promise<void> {
    const { requests, perSeconds } = principal.rateLimit;
    const result = await this.limiter.check(`tok:${principal.jti}`, {
      name: 'token',
      limit: requests,
      windowS: perSeconds,
    });
    const headers = rateLimitHeaders(result);
    if (!result.allowed) throw Problems.rateLimited(headers, result.retryAfterS);
    for (const [k, v] of Object.entries(headers)) void reply.header(k, v);
  }
}
