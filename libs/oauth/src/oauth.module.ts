import { Module } from '@nestjs/common';
import { GATEHOUSE_CONFIG, type GatehouseConfig } from '@gatehouse/core';
import { ClientAssertions } from './clients/client-assertion';
import { ClientKeySource } from './clients/client-key-source';
import { GuardedFetcher } from './clients/guarded-fetch';
import { ClientAuthenticator } from './client-authenticator';
import { ClientCache } from './client-cache';
import { ClientCredentialsGrant } from './client-credentials.grant';
import { GRANT_HANDLERS, type GrantHandler } from './grant';
import { RefreshTokenGrant } from './refresh-token.grant';
import { IntrospectionEndpoint } from './introspection.endpoint';
import { RevocationEndpoint } from './revocation.endpoint';
import { TokenEndpoint } from './token-endpoint.service';
import { ExchangeTokens } from './token-exchange/subject-token';
import { ManagedExchange } from './token-exchange/managed-exchange';
import { TokenExchangeGrant } from './token-exchange/token-exchange.grant';
import { ResourceLookup } from './resources/resource-lookup';
import { AuthorizationCodeGrant } from './authorization-code/authorization-code.grant';
import { AuthorizationCodes } from './authorization-code/authorization-code.repository';

/** Register a new grant here: list its class in `grants`. */
const grants = [ClientCredentialsGrant, RefreshTokenGrant, TokenExchangeGrant, AuthorizationCodeGrant];

@Module({
  providers: [
    // The one outbound fetcher for client-supplied URLs (docs/client-authentication.md#the-guarded-fetcher).
    {
      provide: GuardedFetcher,
      inject: [GATEHOUSE_CONFIG],
      useFactory: (config: GatehouseConfig) => new GuardedFetcher({ allowLoopback: config.cimdAllowLoopback }),
    },
    ClientKeySource,
    ClientAssertions,
    ClientCache,
    ResourceLookup,
    ExchangeTokens,
    ManagedExchange,
    ClientAuthenticator,
    AuthorizationCodes,
    ...grants,
    { provide: GRANT_HANDLERS, inject: grants, useFactory: (...handlers: GrantHandler[]) => handlers },
    TokenEndpoint,
    RevocationEndpoint,
    IntrospectionEndpoint,
  ],
  exports: [
    TokenEndpoint,
    AuthorizationCodes,
    ClientAuthenticator,
    ClientCache,
    ResourceLookup,
    RevocationEndpoint,
    IntrospectionEndpoint,
    GuardedFetcher,
  ],
})
export class OAuthModule {}
