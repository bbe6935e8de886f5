import { Injectable } from '@nestjs/common';
import { AuditService } from '@gatehouse/audit';
import { InvalidRequest, UnauthorizedClient } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { AccessTokenVerifier, RefreshTokenService, TokenRevocationService } from '@gatehouse/tokens';
import { ClientAuthenticator } from './client-authenticator';
import type { TokenRequest } from './grant';

/**
 * RFC 7009 token revocation. The client authenticates; a refresh token ends its whole
 * family, an access token is listed as revoked until it expires. Unknown, expired or
 * already-revoked tokens answer 200 like any success (§2.2), so the endpoint tells a
 * caller nothing about tokens it does not hold. A token issued to another client is
 * refused (§2.1) and left alone.
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
  ) {}

  async revoke(req: TokenRequest): Promise<void> {
    const client = await this.clients.authenticate(req);
    const token = req.params.get('token');
    if (!token) throw new InvalidRequest('token is required.');
    const notYours = () => new UnauthorizedClient('This token was not issued to this client.');

    if (token.startsWith('ghr_')) {
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
