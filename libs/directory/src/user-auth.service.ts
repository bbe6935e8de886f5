import { Injectable } from '@nestjs/common';
import { ProblemError, Problems, epochSeconds } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { AuditService, RefusalAudit, type RequestMeta } from '@gatehouse/audit';
import { PasswordHasher } from '@gatehouse/credentials';
import { RateLimiter, rateLimitHeaders, type RateLimitPolicy } from '@gatehouse/ratelimit';
import { RefreshTokenService, TokenIssuer, appLiveness } from '@gatehouse/tokens';

export interface UserTokens {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
}

/**
 * Brute-force limits on user sign-in (docs/design.md §6): per account and per source
 * address, counted before the password is checked so a guesser cannot tell them apart.
 */
export const USER_LOGIN_PER_ACCOUNT: RateLimitPolicy = { name: 'login-account', limit: 10, windowS: 300 };
export const USER_LOGIN_PER_ADDRESS: RateLimitPolicy = { name: 'login-address', limit: 30, windowS: 60 };

const invalidClient = () =>
  new ProblemError(401, 'invalid_client', 'Unknown client', {
    detail: 'No enabled application with this client_id belongs to the organization.',
  });

/**
 * User sign-in through one of the org's applications: the user and the app must both
 * belong to the org named in the route. The token is a `tier: user` token carrying the
 * org, the app's client_id and the scopes the app holds, plus a rotating refresh token
 * bound to that app.
 */
@Injectable()
export class UserAuthService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly passwords: PasswordHasher,
    private readonly audit: AuditService,
    private readonly refusals: RefusalAudit,
    private readonly limiter: RateLimiter,
    private readonly issuer: TokenIssuer,
    private readonly refreshTokens: RefreshTokenService,
  ) {}

  async login(
    meta: RequestMeta,
    orgId: string,
    input: { client_id: string; email: string; password: string },
  ): Promise<UserTokens> {
    for (const [key, policy] of [
      [`user-login:acct:${orgId}:${input.email}`, USER_LOGIN_PER_ACCOUNT],
      [`user-login:addr:${meta.sourceIp ?? 'unknown'}`, USER_LOGIN_PER_ADDRESS],
    ] as const) {
      const r = await this.limiter.check(key, policy);
      if (!r.allowed) {
        await this.refusals.rateLimited(meta, { key, policy, retryAfterS: r.retryAfterS, orgId });
        throw Problems.rateLimited(rateLimitHeaders(r), r.retryAfterS);
      }
    }
    const org = await this.prisma.organization.findUnique({ where: { id: orgId }, select: { id: true, name: true } });
    const app = org
      ? await this.prisma.application.findUnique({
          where: { id: input.client_id },
          select: { id: true, orgId: true, disabled: true, scopes: true, tokenTtlS: true, delegates: true },
        })
      : null;
    if (!org || !app || !appLiveness(app, orgId).live) {
      await this.audit.recordAlone(meta, {
        action: 'user.login',
        outcome: 'failure',
        orgId: org?.id ?? null,
        reason: 'unknown client',
      });
      throw invalidClient();
    }
    const user = await this.prisma.user.findUnique({ where: { orgId_email: { orgId, email: input.email } } });
    const ok = await this.passwords.verify(input.password, user?.passwordHash);
    if (!user || !ok || user.disabled) {
      await this.audit.recordAlone(meta, {
        action: 'user.login',
        outcome: 'failure',
        actor: user ? { id: user.id, tier: 'user' } : null,
        orgId,
        reason: !user ? 'unknown account' : !ok ? 'wrong password' : 'user disabled',
        details: { client_id: app.id },
      });
      throw Problems.invalidCredentials();
    }
    return this.prisma.transaction(async (tx) => {
      const started = await this.refreshTokens.start(tx, {
        tier: 'user',
        subjectId: user.id,
        clientId: app.id,
        orgId,
        scope: app.scopes.join(' '),
      });
      await this.audit.record(tx, meta, {
        action: 'user.login',
        outcome: 'success',
        actor: { id: user.id, tier: 'user' },
        orgId,
        details: { client_id: app.id },
      });
      const { response } = await this.issuer.issue(
        meta,
        {
          kind: 'user_login',
          subject: { tier: 'user', id: user.id, org, clientId: app.id },
          scopes: app.scopes,
          ttlS: app.tokenTtlS,
          mayAct: app.delegates,
          authTime: epochSeconds(started.createdAt),
          refreshToken: started.refreshToken,
          audit: {
            action: 'token.issued',
            target: { type: 'user', id: user.id },
            details: (claims) => ({
              tier: 'user',
              client_id: app.id,
              scope: claims.scope,
              expires_in: app.tokenTtlS,
              refresh_family: started.familyId,
            }),
          },
        },
        tx,
      );
      return response as UserTokens;
    });
  }
}
