import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  GATEHOUSE_CONFIG,
  ID_JAG_GRANT_PROFILE,
  ID_JAG_TOKEN_TYPE,
  TOKEN_ENDPOINT_AUTH_METHODS,
  type GatehouseConfig,
} from '@gatehouse/core';
import { TokenEndpoint } from '@gatehouse/oauth';
import { ASYMMETRIC_JWS_ALGS, REVOCATION_FEED_SCOPE } from '@gatehouse/verifier';
import { Public } from '../http/public.decorator';

/**
 * RFC 8414 authorization-server metadata, also served at the OpenID discovery path so
 * stock clients that only know that one find the token endpoint and the JWKS. Endpoints
 * are advertised only once they exist.
 *
 * Two choices, for what RFC 8414 leaves open:
 * - `scopes_supported` lists the scopes Gatehouse itself gives meaning to. An app's own
 *   scopes are defined per organization by its administrators; listing them here would
 *   show every tenant's API surface to anyone (§2 allows leaving supported values out).
 * - Access tokens are JWTs signed with RS256 (RFC 9068); RFC 8414 has no member for that,
 *   so it is `access_token_signing_alg_values_supported`, the name other servers use for it
 *   (Gluu/Janssen, InterSystems). No `id_token_signing_alg_values_supported`: Gatehouse
 *   issues no ID tokens.
 */
@ApiTags('discovery')
@Public()
@Controller('.well-known')
export class DiscoveryController {
  private readonly metadata: Record<string, unknown>;

  constructor(@Inject(GATEHOUSE_CONFIG) config: GatehouseConfig, tokens: TokenEndpoint) {
    const base = config.issuer;
    // One list for every endpoint that authenticates clients (docs/client-authentication.md).
    const authMethods = [...TOKEN_ENDPOINT_AUTH_METHODS];
    const signingAlgs = [...ASYMMETRIC_JWS_ALGS];
    this.metadata = {
      issuer: base,
      token_endpoint: `${base}/oauth/token`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      revocation_endpoint: `${base}/oauth/revoke`,
      revocation_endpoint_auth_methods_supported: authMethods,
      revocation_endpoint_auth_signing_alg_values_supported: signingAlgs,
      introspection_endpoint: `${base}/oauth/introspect`,
      introspection_endpoint_auth_methods_supported: authMethods,
      introspection_endpoint_auth_signing_alg_values_supported: signingAlgs,
      grant_types_supported: tokens.grantTypes,
      // RFC 8693 as Gatehouse speaks it (RFC 8414 §2 allows members of a server's own).
      token_exchange: {
        subject_token_types_supported: ['urn:ietf:params:oauth:token-type:access_token'],
        requested_token_types_supported: ['urn:ietf:params:oauth:token-type:access_token', ID_JAG_TOKEN_TYPE],
        step_parameter: 'step',
        max_delegation_depth: config.maxDelegationDepth,
      },
      // docs/id-jag.md#discovery: Gatehouse takes ID-JAGs (the jwt-bearer grant) and issues them
      // (token exchange), as draft-ietf-oauth-identity-assertion-authz-grant and identity
      // chaining name the two.
      authorization_grant_profiles_supported: [ID_JAG_GRANT_PROFILE],
      identity_chaining_requested_token_types_supported: [ID_JAG_TOKEN_TYPE],
      token_endpoint_auth_methods_supported: authMethods,
      token_endpoint_auth_signing_alg_values_supported: signingAlgs,
      // RFC 9449 §5.1.
      dpop_signing_alg_values_supported: signingAlgs,
      scopes_supported: [REVOCATION_FEED_SCOPE],
      access_token_signing_alg_values_supported: ['RS256'],
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
