import { Inject, Injectable } from '@nestjs/common';
import { OAuthError } from '@gatehouse/core';
import { GRANT_HANDLERS, type GrantHandler, type TokenRequest, type TokenResponse } from './grant';

/** Dispatches /oauth/token by grant_type to the registered handler. */
@Injectable()
export class TokenEndpoint {
  private readonly byType: Map<string, GrantHandler>;

  constructor(@Inject(GRANT_HANDLERS) handlers: GrantHandler[]) {
    this.byType = new Map(handlers.map((h) => [h.grantType, h]));
  }

  get grantTypes(): string[] {
    return [...this.byType.keys()];
  }

  handle(req: TokenRequest): Promise<TokenResponse> {
    const grantType = req.params.get('grant_type');
    if (!grantType) throw new OAuthError('invalid_request', 400, 'grant_type is required.');
    const handler = this.byType.get(grantType);
    if (!handler) throw new OAuthError('unsupported_grant_type', 400, 'This grant type is not supported.');
    return handler.handle(req);
  }
}
