import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  GATEHOUSE_CONFIG,
  ID_JAG_GRANT_PROFILE,
  ID_JAG_TOKEN_TYPE,
  TOKEN_ENDPOINT_AUTH_METHODS,
  type GatehouseConfig,
} from '@gatehouse/core';
import { OIDC_SCOPES, PROMPT_VALUES, RESPONSE_MODES, ResourceLookup, TokenEndpoint } from '@gatehouse/oauth';
import { ASYMMETRIC_JWS_ALGS, REVOCATION_FEED_SCOPE } from '@gatehouse/verifier';
import { Public } from '../http/public.decorator';

/**
 * RFC 8414 authorization-server metadata, also served at the OpenID discovery path so
 * stock clients that only know that one find the token endpoint and the JWKS. Endpoints
 * are advertised only once they exist.
 *
 * Two choices, for what RFC 8414 leaves open:
 * - `scopes_supported` lists the scopes registered resources declare, OpenID Connect's and
 *   the scopes Gatehouse itself gives meaning to: an MCP client asks for what it finds here
 *   (docs/client-registration.md#discovery). Scopes apps hold that no resource declares are
 *   left out (§2 allows leaving supported values out). The list is read at most once a minute.
 * - Access tokens are JWTs signed with RS256 (RFC 9068); RFC 8414 has no member for that,
 *   so it is `access_token_signing_alg_values_supported`, the name other servers use for it
 *   (Gluu/Janssen, InterSystems).
 */
/** The scopes Gatehouse itself gives meaning to: OpenID Connect's (with refresh, OIDC Core §11) and its revocation feed. */
const OWN_SCOPES: string[] = [...OIDC_SCOPES, REVOCATION_FEED_SCOPE];

@ApiTags('discovery')
@Public()
@Controller('.well-known')
export class DiscoveryController {
  private readonly metadata: Record<string, unknown>;
  private scopes: { list: string[]; until: number } = { list: [], until: 0 };

  constructor(
    @Inject(GATEHOUSE_CONFIG) config: GatehouseConfig,
    tokens: TokenEndpoint,
    private readonly resources: ResourceLookup,
  ) {
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
        subject_token_types_supported: [
          'urn:ietf:params:oauth:token-type:access_token',
          'urn:ietf:params:oauth:token-type:id_token',
        ],
        requested_token_types_supported: ['urn:ietf:params:oauth:token-type:access_token', ID_JAG_TOKEN_TYPE],
        step_parameter: 'step',
        max_delegation_depth: config.maxDelegationDepth,
      },
      // docs/id-jag.md#discovery: Gatehouse takes ID-JAGs (the jwt-bearer grant) and issues them
      // (token exchange), as draft-ietf-oauth-identity-assertion-authz-grant and identity
      // chaining name the two.
      authorization_grant_profiles_supported: [ID_JAG_GRANT_PROFILE],
      identity_chaining_requested_token_types_supported: [ID_JAG_TOKEN_TYPE],
      // `none` too: public clients (browser sign-in) redeem codes and refresh without a secret.
      token_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
      token_endpoint_auth_signing_alg_values_supported: signingAlgs,
      // RFC 9449 §5.1.
      dpop_signing_alg_values_supported: signingAlgs,
      // docs/client-registration.md: RFC 7591 and Client ID Metadata Documents.
      registration_endpoint: `${base}/oauth/register`,
      client_id_metadata_document_supported: true,
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
    return this.withScopes();
  }

  @Get('openid-configuration')
  @Header('cache-control', 'public, max-age=300')
  openidConfiguration() {
    return this.withScopes();
  }

  /**
   * The metadata with the current scope list. Discovery must keep answering while PostgreSQL
   * is unreachable (clients fetch it before anything else): the last list read, or Gatehouse's
   * own scopes, is served then, and the read is tried again after 5 s.
   */
  private async withScopes(): Promise<Record<string, unknown>> {
    const now = Date.now();
    if (now >= this.scopes.until) {
      try {
        const declared = await this.resources.declaredScopeNames();
        this.scopes = { list: [...new Set([...declared, ...OWN_SCOPES])].sort(), until: now + 60_000 };
      } catch {
        this.scopes = {
          list: this.scopes.list.length > 0 ? this.scopes.list : [...OWN_SCOPES].sort(),
          until: now + 5_000,
        };
      }
    }
    return { ...this.metadata, scopes_supported: this.scopes.list };
  }
}
