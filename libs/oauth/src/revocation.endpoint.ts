import { Injectable } from '@nestjs/common';
import { AuditService } from '@gatehouse/audit';
import { InvalidRequest, UnauthorizedClient } from '@gatehouse/core';
import { PrismaService, SqlPool } from '@gatehouse/db';
import { AccessTokenVerifier, RefreshTokenService, TokenRevocationService } from '@gatehouse/tokens';
import { ClientAuthenticator, type AuthenticatedClient } from './client-authenticator';
import { SelfRegisteredAuthenticator } from './clients/self-registered-authenticator';
import type { TokenRequest } from './grant';

/**
 * RFC 7009 token revocation. The client authenticates; a refresh token ends its whole
 * family, an access token is listed as revoked until it expires. Unknown, expired or
 * already-revoked tokens answer 200 like any success (§2.2), so the endpoint tells a
 * caller nothing about tokens it does not hold. A token issued to another client is
 * refused (§2.1) and left alone.
 *
 * A self-registered client (metadata document or dynamic registration) is admitted per
 * organization, so it authenticates for the organization of the token it sends
 * (docs/client-registration.md#revocation-and-introspection): a token Gatehouse cannot place
 * is answered 200 like any unknown one, before any authentication, since there is nothing to do.
 */
@Injectable()
export class RevocationEndpoint {
  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly verifier: AccessTokenVerifier,
    private readonly refreshTokens: RefreshTokenService,
    private readonly revocations: TokenRevocationService,
    private readonly audit: AuditService,
    private readonly prisma: PrismaService,
    private readonly sql: SqlPool,
    private readonly selfRegistered: SelfRegisteredAuthenticator,
  ) {}

  async revoke(req: TokenRequest): Promise<void> {
    const selfId = this.selfRegistered.claimedId(req);
    const app = selfId ? null : await this.clients.authenticate(req);
    const token = req.params.get('token');
    if (!token) throw new InvalidRequest('token is required.');
    const notYours = () => new UnauthorizedClient('This token was not issued to this client.');
    const caller = (orgId: string): Promise<AuthenticatedClient> =>
      app ? Promise.resolve(app) : this.selfRegistered.authenticate(req, selfId!, orgId);

    if (token.startsWith('ghr_')) {
      const issued = app ? null : await this.refreshTokens.issuedTo(this.sql, token);
      if (!app && !issued?.orgId) return; // unknown: nothing to revoke
      const client = await caller(app?.orgId ?? issued!.orgId!);
      await this.prisma.transaction(async (tx) => {
        const family = await this.refreshTokens.revokeFamily(tx, token, 'revoked_by_client', client.id);
        if (!family) return;
        if (family.clientId !== client.id) throw notYours();
        await this.audit.record(tx, req.meta, {
          action: 'token.revoked',
          outcome: 'success',
          actor: { id: client.id, tier: 'app' },
          orgId: client.orgId,
          target: { type: 'refresh_family', id: family.familyId },
          details: { token_type: 'refresh_token' },
        });
      });
      return;
    }
    // Any audience of ours: a client revokes its tokens for a registered resource too
    // (RFC 8707; docs/resources.md#introspection).
    const claims = await this.verifier.verifySignatureAndClaims(token, { anyAudience: true }).catch(() => null);
    if (!claims) return; // unknown, forged or expired: nothing to revoke
    if (!app && !claims.org_id) return; // no organization: not a self-registered client's
    const client = await caller(app?.orgId ?? claims.org_id!);
    if (claims.client_id !== client.id) throw notYours();
    await this.revocations.revoke(claims.jti, new Date(claims.exp * 1000), client.id);
    await this.audit.recordAlone(req.meta, {
      action: 'token.revoked',
      outcome: 'success',
      actor: { id: client.id, tier: 'app' },
      orgId: client.orgId,
      target: { type: claims.tier === 'user' ? 'user' : 'application', id: claims.sub },
      jti: claims.jti,
      details: { token_type: 'access_token' },
    });
  }
}
