import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { CacheListener } from '@gatehouse/db';
import { AccessStoppedError, Problems, type Principal } from '@gatehouse/core';
import { GatedAccess, RequestLimits } from '@gatehouse/tokens';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ACCESS_RULE, DEFAULT_ACCESS, IS_PUBLIC, type AccessRule } from '../http/public.decorator';
import { requestMeta } from '../http/request-meta.decorator';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The global guard: every route needs a valid bearer token unless marked @Public(), and
 * the token's tier and scopes must satisfy the route's @Access rule (full admin session by
 * default). A token of one tier never passes a route meant for another. Last, the access
 * gate decides whether this valid token may do this now (docs/architecture.md#the-access-gate).
 */
@Injectable()
export class BearerGuard extends AuthGuard('bearer') {
  constructor(
    private readonly reflector: Reflector,
    private readonly limits: RequestLimits,
    private readonly access: GatedAccess,
    private readonly caches: CacheListener,
  ) {
    super();
  }

  /** The guard reads before the route writes: its cache reads share one sync (docs/control.md#live). */
  override canActivate(ctx: ExecutionContext): Promise<boolean> {
    return this.caches.shareSync(() => this.check(ctx));
  }

  private async check(ctx: ExecutionContext): Promise<boolean> {
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
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    await this.countRequest(principal, req, ctx.switchToHttp().getResponse());
    await this.gate(principal, req);
    return true;
  }

  /** Counted first: a stopped request still spends its token's rate, so refusals cannot flood the log. */
  private async gate(principal: Principal, req: FastifyRequest): Promise<void> {
    const route = req.routeOptions?.url ?? req.url.split('?')[0];
    const decision = await this.access.decide(requestMeta(req), {
      point: 'request',
      subject: {
        tier: principal.tier,
        id: principal.id,
        orgId: principal.tier === 'admin' ? undefined : principal.orgId,
        clientId: principal.tier === 'user' ? principal.clientId : principal.tier === 'app' ? principal.id : undefined,
      },
      scopes: principal.scopes,
      jti: principal.jti,
      ...(principal.tier !== 'admin' ? { step: principal.step, actors: principal.actors } : {}),
      action: { name: `${req.method} ${route}`, write: !READS.has(req.method) },
      resource: { type: 'route', id: req.url.split('?')[0] },
    });
    if (decision.outcome !== 'allow') throw new AccessStoppedError(decision);
  }

  override handleRequest<T>(err: unknown, user: T): T {
    if (err) throw err;
    if (!user) throw Problems.missingToken();
    return user;
  }

  /**
   * docs/design.md §6: every bearer request counts against its token (jti) with the
   * app's rate_limit (admin tokens: the platform default). Limited responses carry the
   * IETF RateLimit-Policy and RateLimit fields; a refusal is 429 with Retry-After.
   */
  private async countRequest(principal: Principal, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { requests, perSeconds } = principal.rateLimit;
    const key = `tok:${principal.jti}`;
    const policy = { name: 'token', limit: requests, windowS: perSeconds };
    const headers = await this.limits.enforce(requestMeta(req), {
      key,
      policy,
      actor: { id: principal.id, tier: principal.tier },
      orgId: principal.tier === 'admin' ? null : principal.orgId,
      jti: principal.jti,
    });
    for (const [k, v] of Object.entries(headers)) void reply.header(k, v);
  }
}
