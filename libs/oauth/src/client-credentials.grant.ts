import { Injectable } from '@nestjs/common';
import { InvalidTarget } from '@gatehouse/core';
import { TokenIssuer } from '@gatehouse/tokens';
import type { GrantHandler, GrantRequest, TokenResponse } from './grant';
import { selectScopes } from './scope';

/**
 * RFC 6749 §4.4 client credentials: an app token for the app itself (`tier: app`, its
 * org's name and id). No refresh token (§4.4.3). An optional RFC 8707 `resource` becomes
 * the audience when the app is allowed it; the token names one audience, so `resource`
 * is not repeatable here.
 */
@Injectable()
export class ClientCredentialsGrant implements GrantHandler {
  readonly grantType = 'client_credentials';
  readonly parameters = [{ name: 'scope' }, { name: 'resource' }] as const;
  readonly clientAuthentication = 'required';

  constructor(private readonly issuer: TokenIssuer) {}

  async handle({ params, client, meta, dpop }: GrantRequest): Promise<TokenResponse> {
    const scopes = selectScopes(params.get('scope'), client.scopes);
    const resource = params.get('resource');
    if (resource !== undefined && !client.audiences.includes(resource)) {
      throw new InvalidTarget('This client may not request tokens for that resource.');
    }
    const { response } = await this.issuer.issue(meta, {
      kind: 'client_credentials',
      subject: { tier: 'app', id: client.id, clientId: client.id, org: { id: client.orgId, name: client.orgName } },
      scopes,
      ttlS: client.tokenTtlS,
      audience: resource,
      mayAct: client.delegates,
      dpop,
      audit: {
        action: 'token.issued',
        target: { type: 'application', id: client.id },
        details: (claims) => ({
          tier: 'app',
          grant_type: this.grantType,
          scope: claims.scope,
          aud: claims.aud,
          auth_method: client.method,
        }),
      },
    });
    return response;
  }
}
