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
import { IdJagExchange } from './id-jag/id-jag-exchange';
import { IdJagStore } from './id-jag/id-jag-store';
import { IssuerSignature } from './id-jag/issuer-signature';
import { JwtBearerGrant } from './id-jag/jwt-bearer.grant';
import { ClientResolver } from './clients/client-resolver';
import { SelfRegisteredAuthenticator } from './clients/self-registered-authenticator';
import { DynamicRegistration } from './clients/dynamic-registration';
import { MetadataDocuments } from './clients/metadata-documents';
import { SelfRegisteredClients } from './clients/self-registered-clients.repository';

/**
 * Trust anchors for the guarded fetcher's https, replacing Node's; bound only by tests of an
 * in-process Gatehouse (AppOptions.outboundCa). Operators add a CA with NODE_EXTRA_CA_CERTS.
 */
export const OUTBOUND_CA = Symbol('OUTBOUND_CA');

/** Register a new grant here: list its class in `grants`. */
const grants = [ClientCredentialsGrant, RefreshTokenGrant, TokenExchangeGrant, AuthorizationCodeGrant, JwtBearerGrant];

@Module({
  providers: [
    // The one outbound fetcher for client-supplied URLs (docs/client-authentication.md#the-guarded-fetcher).
    {
      provide: GuardedFetcher,
      inject: [GATEHOUSE_CONFIG, { token: OUTBOUND_CA, optional: true }],
      useFactory: (config: GatehouseConfig, ca?: string[]) =>
        new GuardedFetcher({ allowLoopback: config.cimdAllowLoopback, ...(ca ? { ca } : {}) }),
    },
    ClientKeySource,
    ClientAssertions,
    SelfRegisteredClients,
    MetadataDocuments,
    ClientResolver,
    DynamicRegistration,
    ClientCache,
    ResourceLookup,
    ExchangeTokens,
    ManagedExchange,
    IdJagStore,
    IssuerSignature,
    IdJagExchange,
    ClientAuthenticator,
    SelfRegisteredAuthenticator,
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
    ClientResolver,
    DynamicRegistration,
  ],
})
export class OAuthModule {}
