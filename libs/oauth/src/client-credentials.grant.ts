import { Injectable } from '@nestjs/common';
import { AuditService } from '@gatehouse/audit';
import { OAuthError } from '@gatehouse/core';
import { AccessTokenService } from '@gatehouse/tokens';
import { ClientAuthenticator } from './client-authenticator';
import type { GrantHandler, TokenRequest, TokenResponse } from './grant';
import { selectScopes } from './scope';

/**
 * RFC 6749 §4.4 client credentials: an app token for the app itself (`tier: app`, its
 * org's name and id). No refresh token (§4.4.3). An optional RFC 8707 `resource` becomes
 * the audience when the app is allowed it.
 */
@Injectable()
export class ClientCredentialsGrant implements GrantHandler {
  readonly grantType = 'client_credentials';
  readonly parameters = ['scope', 'resource'] as const;

  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly tokens: AccessTokenService,
    private readonly audit: AuditService,
  ) {}

  async handle(req: TokenRequest): Promise<TokenResponse> {
    const client = await this.clients.authenticate(req);
    this.clients.requireGrant(client.grantTypes, this.grantType);
    const scopes = selectScopes(req.params.get('scope'), client.scopes);
    const resource = req.params.get('resource');
    if (resource !== undefined && !client.audiences.includes(resource)) {
      throw new OAuthError('invalid_target', 400, 'This client may not request tokens for that resource.');
    }
    const minted = this.tokens.mint({
      tier: 'app',
      sub: client.id,
      clientId: client.id,
      org: { id: client.orgId, name: client.orgName },
      scopes,
      ttlS: client.tokenTtlS,
      audience: resource,
    });
    // ARCHITECTURE.md §8: no token leaves without its audit row committed (group commit).
    await this.audit.recordGrouped(req.meta, {
      action: 'token.issued',
      outcome: 'success',
      actor: { id: client.id, tier: 'app' },
      orgId: client.orgId,
      target: { type: 'application', id: client.id },
      jti: minted.jti,
      details: {
        tier: 'app',
        grant_type: this.grantType,
        scope: minted.claims.scope,
        aud: minted.claims.aud,
        auth_method: client.method,
      },
    });
    return {
      access_token: minted.token,
      token_type: 'Bearer',
      expires_in: minted.expiresIn,
      scope: minted.claims.scope,
    };
  }
}
