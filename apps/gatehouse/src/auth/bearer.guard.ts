import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { Problems, type Principal } from '@gatehouse/core';
import { ACCESS_RULE, DEFAULT_ACCESS, IS_PUBLIC, type AccessRule } from '../http/public.decorator';

/**
 * The global guard: every route needs a valid bearer token unless marked @Public(), and
 * the token's tier and scopes must satisfy the route's @Access rule (full admin session by
 * default). A token of one tier never passes a route meant for another.
 */
@Injectable()
export class BearerGuard extends AuthGuard('bearer') {
  constructor(private readonly reflector: Reflector) {
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
    return true;
  }

  override handleRequest<T>(err: unknown, user: T): T {
    if (err) throw err;
    if (!user) throw Problems.missingToken();
    return user;
  }
}
