import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { GATEHOUSE_CONFIG, TOKEN_ENDPOINT_AUTH_METHODS, type GatehouseConfig } from '@gatehouse/core';
import { OIDC_SCOPES, PROMPT_VALUES, RESPONSE_MODES, TokenEndpoint } from '@gatehouse/oauth';
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
 *   (Gluu/Janssen, InterSystems).
 */
@ApiTags('discovery')
@Public()
@Controller('.well-known')
export class DiscoveryController {
  private readonly metadata: Record<string, unknown>;

  constructor(@Inject(GATEHOUSE_CONFIG) config: GatehouseConfig, tokens: TokenEndpoint) {
    const base = config.issuer;
    // One list for every endpoint that authenticates clients (docs/client-authentication.md).
    // `none` is how public clients redeem codes and refresh; they cannot revoke or introspect with it.
    const authMethods = TOKEN_ENDPOINT_AUTH_METHODS.filter((m) => m !== 'none');
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
        requested_token_types_supported: ['urn:ietf:params:oauth:token-type:access_token'],
        step_parameter: 'step',
        max_delegation_depth: config.maxDelegationDepth,
      },
      token_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
      token_endpoint_auth_signing_alg_values_supported: signingAlgs,
      // RFC 9449 §5.1.
      dpop_signing_alg_values_supported: signingAlgs,
      scopes_supported: [...OIDC_SCOPES, REVOCATION_FEED_SCOPE],
      access_token_signing_alg_values_supported: ['RS256'],
      // Browser sign-in (docs/sign-in.md): OAuth 2.1 code flow with PKCE, OpenID Connect.
      authorization_endpoint: `${base}/oauth/authorize`,
      userinfo_endpoint: `${base}/oauth/userinfo`,
      end_session_endpoint: `${base}/oauth/logout`,
      response_types_supported: ['code'],
      response_modes_supported: [...RESPONSE_MODES],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      prompt_values_supported: [...PROMPT_VALUES],
      claims_supported: [
        'iss',
        'sub',
        'aud',
        'azp',
        'exp',
        'iat',
        'auth_time',
        'nonce',
        'acr',
        'amr',
        'sid',
        'at_hash',
        'email',
        'email_verified',
        'name',
        'given_name',
        'family_name',
        'locale',
        'org',
        'org_id',
      ],
      claims_parameter_supported: false,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      require_request_uri_registration: false,
      ui_locales_supported: ['en'],
      acr_values_supported: ['urn:gatehouse:acr:pwd', 'urn:gatehouse:acr:mfa'],
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
