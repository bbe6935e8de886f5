import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { GATEHOUSE_CONFIG, type GatehouseConfig } from '@gatehouse/core';
import { TokenEndpoint } from '@gatehouse/oauth';
import { Public } from '../http/public.decorator';

/**
 * RFC 8414 authorization-server metadata, also served at the OpenID discovery path so
 * stock clients that only know that one find the token endpoint and the JWKS. Endpoints
 * are advertised only once they exist.
 */
@ApiTags('discovery')
@Public()
@Controller('.well-known')
export class DiscoveryController {
  private readonly metadata: Record<string, unknown>;

  constructor(@Inject(GATEHOUSE_CONFIG) config: GatehouseConfig, tokens: TokenEndpoint) {
    const base = config.issuer;
    this.metadata = {
      issuer: base,
      token_endpoint: `${base}/oauth/token`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      revocation_endpoint: `${base}/oauth/revoke`,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      introspection_endpoint: `${base}/oauth/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      grant_types_supported: tokens.grantTypes,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: [],
      service_documentation: `${base}/docs`,
    };
  }

  @Get('oauth-authorization-server')
  @Header('cache-control', 'public, max-age=300')
  oauthMetadata() {
    return this.metadata;
  }

  @Get('openid-configuration')
  @Header('cache-control', 'public, max-age=300')
  openidConfiguration() {
    return this.metadata;
  }
}
