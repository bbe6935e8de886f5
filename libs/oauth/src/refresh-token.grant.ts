import { Injectable } from '@nestjs/common';
import { AuditService } from '@gatehouse/audit';
import { isId, OAuthError } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { AccessTokenService, RefreshTokenService, type MintedToken } from '@gatehouse/tokens';
import { ClientAuthenticator } from './client-authenticator';
import type { GrantHandler, TokenRequest, TokenResponse } from './grant';
import { selectScopes } from './scope';

/**
 * RFC 6749 §6 refresh for user sessions. The refresh token is bound to the app that
 * signed the user in: that app must name itself (client_id, or full client authentication
 * when it sends a secret) and still be enabled, and the user must still be active in the
 * org. Every use rotates the token; a spent one revokes the family (RFC 9700 §4.14) and is
 * audited as suspected theft. A narrower `scope` may be asked for, never a wider one.
 */
@Injectable()
export class RefreshTokenGrant implements GrantHandler {
  readonly grantType = 'refresh_token';
  readonly parameters = ['refresh_token', 'scope', 'client_id'] as const;

  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly accessTokens: AccessTokenService,
    private readonly refreshTokens: RefreshTokenService,
    private readonly audit: AuditService,
    private readonly prisma: PrismaService,
  ) {}

  async handle(req: TokenRequest): Promise<TokenResponse> {
    const clientId = await this.identifyClient(req);
    const presented = req.params.get('refresh_token');
    if (!presented) throw new OAuthError('invalid_request', 400, 'refresh_token is required.');
    const invalidGrant = () =>
      new OAuthError('invalid_grant', 400, 'The refresh token is invalid, expired or revoked.');

    let minted: MintedToken | null = null;
    const outcome = await this.prisma.transaction(async (tx) => {
      const r = await this.refreshTokens.rotate(tx, presented, 'user', clientId);
      if (r.kind === 'reused') {
        await this.audit.record(tx, req.meta, {
          action: 'token.refresh_reuse_detected',
          outcome: 'failure',
          actor: { id: r.family.subjectId, tier: 'user' },
          orgId: r.family.orgId,
          target: { type: 'refresh_family', id: r.family.familyId },
          reason: 'a spent refresh token was presented; the family is revoked',
          details: { client_id: clientId },
        });
        return r;
      }
      if (r.kind === 'invalid') return r;
      const scopes = selectScopes(req.params.get('scope'), r.family.scope.split(' '));
      const user = await tx.user.findFirst({
        where: { id: r.family.subjectId, orgId: r.family.orgId!, disabled: false },
        select: { id: true, org: { select: { id: true, name: true } } },
      });
      const app = await tx.application.findFirst({
        where: { id: clientId, orgId: r.family.orgId!, disabled: false },
        select: { tokenTtlS: true },
      });
      if (!user || !app)
        return { kind: 'invalid' as const, reason: 'user or application gone or disabled', family: r.family };
      minted = this.accessTokens.mint({
        tier: 'user',
        sub: user.id,
        clientId,
        org: user.org,
        scopes,
        ttlS: app.tokenTtlS,
      });
      await this.audit.record(tx, req.meta, {
        action: 'token.refreshed',
        outcome: 'success',
        actor: { id: user.id, tier: 'user' },
        orgId: user.org.id,
        target: { type: 'refresh_family', id: r.family.familyId },
        jti: minted.jti,
        details: { tier: 'user', client_id: clientId, scope: minted.claims.scope, expires_in: minted.expiresIn },
      });
      return r;
    });
    if (outcome.kind === 'invalid') {
      await this.audit.recordAlone(req.meta, {
        action: 'token.refreshed',
        outcome: 'failure',
        actor: outcome.family ? { id: outcome.family.subjectId, tier: outcome.family.tier } : null,
        orgId: outcome.family?.orgId ?? null,
        reason: outcome.reason,
        details: { client_id: clientId },
      });
    }
    if (outcome.kind !== 'rotated' || !minted) throw invalidGrant();
    const m = minted as MintedToken;
    return {
      access_token: m.token,
      token_type: 'Bearer',
      expires_in: m.expiresIn,
      scope: m.claims.scope,
      refresh_token: outcome.refreshToken,
    };
  }

  /** A client that sends a secret is authenticated in full; one that only names itself must exist. */
  private async identifyClient(req: TokenRequest): Promise<string> {
    if (req.authorization || req.params.has('client_secret')) {
      const client = await this.clients.authenticate(req);
      this.clients.requireGrant(client.grantTypes, this.grantType);
      return client.id;
    }
    const clientId = req.params.get('client_id');
    if (!clientId) throw new OAuthError('invalid_request', 400, 'client_id is required.');
    if (!isId('app', clientId)) throw new OAuthError('invalid_client', 401, 'Unknown client.');
    const app = await this.prisma.application.findUnique({
      where: { id: clientId },
      select: {
        orgId: true,
        disabled: true,
        grantTypes: true,
        tokenRateLimitRequests: true,
        tokenRateLimitPerSeconds: true,
      },
    });
    if (!app || app.disabled) throw new OAuthError('invalid_client', 401, 'Unknown client.');
    this.clients.requireGrant(app.grantTypes, this.grantType);
    await this.clients.enforceTokenRate(
      req,
      clientId,
      app.tokenRateLimitRequests,
      app.tokenRateLimitPerSeconds,
      app.orgId,
    );
    return clientId;
  }
}
