import { GRANT_TYPES } from '@gatehouse/core';
import type { TokenEndpoint } from '@gatehouse/oauth';
import type { FastifyInstance } from 'fastify';
import { sendOAuthError } from './oauth-error.filter';
import { protocolRequest, setProtocolHeaders } from './protocol-request';

/**
 * POST /oauth/token (RFC 6749 §3.2) as a plain Fastify route, like the JWKS: it is the
 * endpoint every client calls for every token, and Nest's router, guard, interceptor and
 * parameter pipeline around it measured ~9 % of a worker's CPU per token
 * (docs/performance.md). The grant is still chosen by `grant_type` in libs/oauth
 * (TokenEndpoint); what the controller did — the form checks, the RateLimit headers,
 * `Cache-Control: no-store` — is the same code (protocol-request.ts), and every error,
 * including an unreadable or oversized body, is an RFC 6749 §5.2 body (sendOAuthError).
 */
export function registerTokenRoute(fastify: FastifyInstance, tokens: TokenEndpoint): void {
  fastify.post(
    '/oauth/token',
    { errorHandler: (err, req, reply) => sendOAuthError(req, reply, err) },
    async (req, reply) => {
      const request = protocolRequest(req, reply, false);
      const result = await tokens.handle(request);
      setProtocolHeaders(reply, request.responseHeaders);
      return result;
    },
  );
}

const oauthError = {
  description: 'RFC 6749 §5.2 error',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'string' }, error_description: { type: 'string' } },
      },
    },
  },
};

/** The route's OpenAPI entry: Nest's document generator only sees controllers. */
export const tokenRouteOpenApi = {
  post: {
    operationId: 'OAuthController_token',
    tags: ['oauth'],
    summary: `Token endpoint (RFC 6749 §3.2): ${GRANT_TYPES.join(', ')}`,
    parameters: [
      {
        name: 'DPoP',
        in: 'header',
        required: false,
        description:
          'RFC 9449 proof (typ dpop+jwt; htm POST, htu the token endpoint); required for apps with dpop_bound_access_tokens',
        schema: { type: 'string' },
      },
    ],
    description:
      'Client authentication by client_secret_basic (Authorization: Basic), client_secret_post or private_key_jwt ' +
      '(client_assertion_type + client_assertion, RFC 7523), exactly one per request, as the app registered. ' +
      'An optional DPoP proof header (RFC 9449) binds the token to the client key: token_type DPoP, cnf.jkt ' +
      '(docs/client-authentication.md). ' +
      'Token exchange (RFC 8693) issues per-step tokens with an `act` chain, `step` and `parent_jti` (docs/design.md §3), ' +
      'or, with requested_token_type id-jag, an ID-JAG for another authorization server the org allowed (token_type N_A). ' +
      'The jwt-bearer grant (RFC 7523) takes an ID-JAG of a trusted issuer as `assertion` (docs/id-jag.md). ' +
      'A request the access gate stops is 403 access_denied with `reason`, `recovery` and `decision_id`.',
    requestBody: {
      required: true,
      content: {
        'application/x-www-form-urlencoded': {
          schema: {
            type: 'object',
            required: ['grant_type'],
            properties: {
              grant_type: { type: 'string', enum: [...GRANT_TYPES] },
              scope: { type: 'string', description: 'space-separated; a subset of what the client holds' },
              resource: {
                type: 'string',
                description:
                  'RFC 8707: the identifier of a registered resource among the app’s audiences, compared exactly; ' +
                  'the token’s one `aud`, carrying only the scopes the resource declares and living no longer than ' +
                  'its token_ttl_s; a refresh or exchange may only narrow (docs/resources.md#rfc-8707). ' +
                  'Unknown, foreign or not allowed: invalid_target',
              },
              refresh_token: { type: 'string' },
              subject_token: { type: 'string', description: 'RFC 8693 §2.1: the token to exchange' },
              subject_token_type: { type: 'string', enum: ['urn:ietf:params:oauth:token-type:access_token'] },
              actor_token: { type: 'string', description: 'RFC 8693 §2.1: a token of the caller naming who acts' },
              actor_token_type: { type: 'string', enum: ['urn:ietf:params:oauth:token-type:access_token'] },
              requested_token_type: {
                type: 'string',
                enum: ['urn:ietf:params:oauth:token-type:access_token', 'urn:ietf:params:oauth:token-type:id-jag'],
              },
              audience: {
                type: 'string',
                description:
                  'RFC 8693 token exchange: a registered resource’s identifier, like `resource` ' +
                  '(may repeat; a step token names exactly one); for an ID-JAG, the other server’s issuer, once',
              },
              assertion: {
                type: 'string',
                description:
                  'jwt-bearer grant (RFC 7523 §2.1): an ID-JAG (typ oauth-id-jag+jwt) of an issuer the org trusts for this client',
              },
              step: {
                type: 'string',
                pattern: '^[A-Za-z0-9._:-]{1,128}$',
                description:
                  'Gatehouse extension, required for token exchange: the workflow step the step token serves (its `step` claim)',
              },
              client_id: { type: 'string' },
              client_secret: { type: 'string' },
              client_assertion_type: {
                type: 'string',
                enum: ['urn:ietf:params:oauth:client-assertion-type:jwt-bearer'],
                description: 'RFC 7523 §2.2: private_key_jwt',
              },
              client_assertion: {
                type: 'string',
                description:
                  'A JWT signed with a registered key (RS256, PS256, ES256, EdDSA): iss = sub = client_id, aud, exp ≤ 5 min, jti',
              },
            },
          },
        },
      },
    },
    responses: {
      '200': {
        description: 'An access token (and, for refresh_token, the next refresh token)',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['access_token', 'token_type', 'expires_in', 'scope'],
              properties: {
                access_token: { type: 'string' },
                token_type: { type: 'string', enum: ['Bearer', 'DPoP'] },
                expires_in: { type: 'integer' },
                scope: { type: 'string' },
                refresh_token: { type: 'string' },
                issued_token_type: { type: 'string', description: 'RFC 8693 §2.2.1 (token exchange only)' },
              },
            },
          },
        },
      },
      '400': oauthError,
      '401': oauthError,
      '413': oauthError,
      '403': oauthError,
      '429': oauthError,
      '503': oauthError,
    },
  },
};
