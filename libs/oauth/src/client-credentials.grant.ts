import { Inject, Injectable } from '@nestjs/common';
import { GATEHOUSE_CONFIG, InvalidTarget, type GatehouseConfig } from '@gatehouse/core';
import { TokenIssuer } from '@gatehouse/tokens';
import type { GrantHandler, GrantRequest, TokenResponse } from './grant';
import { capLifetime, resolveResource, selectResourceScopes } from './resources/resolve-resource';

/**
 * RFC 6749 §4.4 client credentials: an app token for the app itself (`tier: app`, its
 * org's name and id). No refresh token (§4.4.3). An optional RFC 8707 `resource`, one of the
 * app's registered resources, becomes the one audience, and then the token carries only the
 * scopes that resource declares and lives no longer than it allows
 * (docs/resources.md#rfc-8707); the token names one audience, so `resource` is not repeatable.
 */
@Injectable()
export class ClientCredentialsGrant implements GrantHandler {
  readonly grantType = 'client_credentials';
  readonly parameters = [{ name: 'scope' }, { name: 'resource' }] as const;
  readonly clientAuthentication = 'required';
  readonly confirmedAtIssue = true;

  constructor(
    private readonly issuer: TokenIssuer,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  async handle({ params, client, meta, dpop, recheck }: GrantRequest): Promise<TokenResponse> {
    const resource = params.get('resource');
    const target = resolveResource({
      requested: resource === undefined ? [] : [resource],
      registered: client.resources,
      clientAudiences: client.audiences,
      ceiling: { kind: 'unbound' },
      defaultAudience: this.config.audience,
    });
    if (!target.ok) throw new InvalidTarget(target.description, { detail: target.rule });
    const scopes = selectResourceScopes(params.get('scope'), client.scopes, target.resource);
    const { response } = await this.issuer.issue(meta, {
      kind: 'client_credentials',
      subject: { tier: 'app', id: client.id, clientId: client.id, org: { id: client.orgId, name: client.orgName } },
      scopes,
      ttlS: capLifetime(client.tokenTtlS, target.resource),
      audience: target.resource ? target.audience : undefined,
      mayAct: client.delegates,
      dpop,
      recheck,
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
