import { Inject, Injectable } from '@nestjs/common';
import { InvalidRequest, UnsupportedGrantType } from '@gatehouse/core';
import type { TokenResponse } from '@gatehouse/tokens';
import { ClientAuthenticator } from './client-authenticator';
import { GRANT_HANDLERS, type GrantHandler, type TokenRequest } from './grant';
import { applyParameterRules, parameterRules, type ParameterRules } from './grant-parameters';

/**
 * POST /oauth/token (RFC 6749 §3.2), the pipeline every grant goes through: find the grant
 * by `grant_type`; enforce its declared parameters; authenticate the client once, as the
 * grant declares (required, or optional for public refresh), which counts it against its
 * token rate; check the client may use the grant; then hand the grant a request it can trust.
 */
@Injectable()
export class TokenEndpoint {
  private readonly byType: Map<string, { grant: GrantHandler; rules: ParameterRules }>;

  constructor(
    @Inject(GRANT_HANDLERS) handlers: GrantHandler[],
    private readonly clients: ClientAuthenticator,
  ) {
    this.byType = new Map(handlers.map((grant) => [grant.grantType, { grant, rules: parameterRules(grant) }]));
  }

  /** The registered grant types, for discovery. */
  get grantTypes(): string[] {
    return [...this.byType.keys()];
  }

  async handle(req: TokenRequest): Promise<TokenResponse> {
    if (req.params.all('grant_type').length > 1)
      throw new InvalidRequest('Parameter "grant_type" appears more than once.');
    const grantType = req.params.get('grant_type');
    if (!grantType) throw new InvalidRequest('grant_type is required.');
    const entry = this.byType.get(grantType);
    if (!entry) throw new UnsupportedGrantType('This grant type is not supported.');
    const params = applyParameterRules(req.params, entry.rules);
    const client =
      entry.grant.clientAuthentication === 'optional' && !this.clients.presentsCredentials(req)
        ? await this.clients.identify(req)
        : await this.clients.authenticate(req);
    this.clients.requireGrant(client.grantTypes, grantType);
    return entry.grant.handle({ params, client, meta: req.meta });
  }
}
