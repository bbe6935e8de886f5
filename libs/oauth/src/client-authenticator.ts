import { Inject, Injectable } from '@nestjs/common';
import { RefusalAudit } from '@gatehouse/audit';
import {
  CLIENT_SECRET_METHODS,
  CLOCK,
  GATEHOUSE_CONFIG,
  InvalidClient,
  InvalidRequest,
  JWT_BEARER_CLIENT_ASSERTION,
  TokenRateExceeded,
  UnauthorizedClient,
  isId,
  type Clock,
  type GatehouseConfig,
  type TokenEndpointAuthMethod,
} from '@gatehouse/core';
import { RequestLimits, appLiveness } from '@gatehouse/tokens';
import { SqlPool } from '@gatehouse/db';
import { CLIENT_SECRET_HASH, KEK, KeyedHasher, importClientJwks } from '@gatehouse/credentials';
import { ClientCache, type ClientRecord } from './client-cache';
import { AssertionRefused, ClientAssertions } from './clients/client-assertion';
import type { TokenRequest } from './grant';

/** The client a token request authenticated as: what grants need of its record, and how. */
export type AuthenticatedClient = Pick<
  ClientRecord,
  | 'id'
  | 'orgId'
  | 'orgName'
  | 'scopes'
  | 'audiences'
  | 'resources'
  | 'tokenTtlS'
  | 'grantTypes'
  | 'delegates'
  | 'stepTokenTtlS'
  | 'dpopBound'
  | 'dpopNonceRequired'
> & {
  /** How it authenticated; `none`: a client that only named itself (a grant whose authentication is optional). */
  method: TokenEndpointAuthMethod | 'none';
  /** A public client (docs/sign-in.md#clients): it has no credential, and naming itself is all it can do. */
  publicClient: boolean;
};

interface ClientRow {
  id: string;
  org_id: string;
  org_name: string;
  scopes: string[];
  audiences: string[];
  resources: { identifier: string; scopes: string[]; token_ttl_s: number | null }[];
  token_ttl_s: number;
  grant_types: string[];
  delegates: string[];
  step_token_ttl_s: number;
  token_rate_limit_requests: number;
  token_rate_limit_per_seconds: number;
  disabled: boolean;
  secrets: { hash: string; expires_at: string | null }[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  jwks: unknown;
  jwks_uri: string | null;
  dpop_bound_access_tokens: boolean;
  dpop_nonce_required: boolean;
  name: string;
  client_type: 'confidential' | 'public';
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  require_pkce: boolean;
  consent: 'required' | 'first_party';
  logo_uri: string | null;
  client_uri: string | null;
  policy_uri: string | null;
  tos_uri: string | null;
  password_login: boolean;
}

/**
 * Client authentication at the token, revocation and introspection endpoints, exactly one
 * method per request: client_secret_basic or client_secret_post (RFC 6749 §2.3.1), or a
 * `private_key_jwt` assertion (RFC 7523 §2.2; clients/client-assertion.ts). An app uses the
 * method it registered (docs/client-authentication.md): the two secret methods are one
 * credential and accept each other; an app registered for keys is never let in with a
 * secret. Secrets are compared as keyed hashes in constant time — no bcrypt on this path
 * (docs/design.md §2). Every failure is the same `invalid_client`, so responses do not tell
 * an unknown client from a wrong credential; refused key-based attempts are audited.
 */
@Injectable()
export class ClientAuthenticator {
  private readonly hasher: KeyedHasher;

  constructor(
    private readonly sql: SqlPool,
    private readonly cache: ClientCache,
    private readonly limits: RequestLimits,
    private readonly refusals: RefusalAudit,
    private readonly assertions: ClientAssertions,
    @Inject(KEK) kek: Buffer,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {
    this.hasher = new KeyedHasher(kek, CLIENT_SECRET_HASH);
  }

  /** Whether the request carries client credentials (an Authorization header, a client_secret or an assertion). */
  presentsCredentials(req: TokenRequest): boolean {
    return (
      req.authorization !== undefined ||
      req.params.has('client_secret') ||
      req.params.has('client_assertion') ||
      req.params.has('client_assertion_type')
    );
  }

  /**
   * `countTokenRate: false` for the decision API (docs/control.md#authzen): a PEP asks once
   * per request it serves, which must not spend the app's token_rate_limit.
   */
  async authenticate(req: TokenRequest, opts: { countTokenRate?: boolean } = {}): Promise<AuthenticatedClient> {
    if (req.params.has('client_assertion') || req.params.has('client_assertion_type')) {
      return this.authenticateAssertion(req, opts);
    }
    const basic = parseBasic(req.authorization);
    const postId = req.params.get('client_id');
    const postSecret = req.params.get('client_secret');
    if (basic && (postSecret !== undefined || (postId !== undefined && postId !== basic.id))) {
      throw new InvalidRequest('Use exactly one client authentication method.');
    }
    const method = basic ? 'client_secret_basic' : 'client_secret_post';
    const clientId = basic?.id ?? postId;
    const secret = basic?.secret ?? postSecret;
    const fail = (detail: string) =>
      new InvalidClient('Client authentication failed.', {
        detail,
        headers: basic || req.authorization ? { 'WWW-Authenticate': 'Basic realm="gatehouse"' } : {},
      });
    if (req.authorization && !basic) throw fail('unreadable Authorization header');
    if (!clientId || !secret) throw fail('no client credentials');
    if (!isId('app', clientId) || secret.length > 200) throw fail('malformed client_id or secret');

    const app = await this.cache.get(clientId, (id) => this.load(id));
    const now = this.clock.now().getTime();
    // Compare against every live secret (an app holds up to two during a rotation).
    const match = app?.secrets.some(
      (s) => (s.expiresAtMs === null || s.expiresAtMs > now) && this.hasher.matches(secret, s.hash),
    );
    const live = appLiveness(app, app?.orgId);
    if (!app || !live.live) throw fail(live.live ? 'unknown client' : live.reason);
    if (!CLIENT_SECRET_METHODS.includes(app.authMethod)) {
      // A secret left over from before the app moved to keys must not let anyone in.
      await this.refusals.clientAuthenticationFailed(req.meta, {
        clientId: app.id,
        orgId: app.orgId,
        method,
        reason: `client secret sent; the app authenticates with ${app.authMethod}`,
      });
      throw fail(`client secret sent; the app uses ${app.authMethod}`);
    }
    if (!match) throw fail('wrong secret');
    if (opts.countTokenRate !== false) await this.enforceTokenRate(req, app);
    return view(app, method);
  }

  /**
   * RFC 7521 §4.2 / RFC 7523 §2.2: `client_assertion_type` jwt-bearer and a signed
   * `client_assertion` whose `sub` names the client; `client_id`, when sent, must name the
   * same one. No other credential may come with it.
   */
  private async authenticateAssertion(
    req: TokenRequest,
    opts: { countTokenRate?: boolean },
  ): Promise<AuthenticatedClient> {
    if (req.authorization !== undefined || req.params.has('client_secret')) {
      throw new InvalidRequest('Use exactly one client authentication method.');
    }
    const type = req.params.get('client_assertion_type');
    const assertion = req.params.get('client_assertion');
    if (type === undefined || assertion === undefined) {
      throw new InvalidRequest('client_assertion and client_assertion_type go together.');
    }
    const claimedId = req.params.get('client_id');
    let clientId: string | null = claimedId !== undefined && isId('app', claimedId) ? claimedId : null;
    const refuse = async (reason: string, app?: ClientRecord | null) => {
      await this.refusals.clientAuthenticationFailed(req.meta, {
        clientId: app?.id ?? clientId,
        orgId: app?.orgId ?? null,
        method: 'private_key_jwt',
        reason,
      });
      return new InvalidClient('Client authentication failed.', { detail: reason });
    };
    if (type !== JWT_BEARER_CLIENT_ASSERTION) throw await refuse('unsupported client_assertion_type');
    let claimed;
    try {
      claimed = this.assertions.claim(assertion);
    } catch (err) {
      if (err instanceof AssertionRefused) throw await refuse(err.reason);
      throw err;
    }
    if (claimedId !== undefined && claimedId !== claimed.clientId) {
      throw await refuse('client_id differs from the assertion\'s "sub"');
    }
    clientId = claimed.clientId;
    const app = await this.cache.get(clientId, (id) => this.load(id));
    const live = appLiveness(app, app?.orgId);
    if (!app || !live.live) throw await refuse(live.live ? 'unknown client' : live.reason);
    if (app.authMethod !== 'private_key_jwt') {
      throw await refuse(`client assertion sent; the app authenticates with ${app.authMethod}`, app);
    }
    try {
      await this.assertions.verify(claimed, app, `${this.config.issuer}${req.endpoint ?? '/oauth/token'}`);
    } catch (err) {
      if (err instanceof AssertionRefused) throw await refuse(err.reason, app);
      throw err;
    }
    if (opts.countTokenRate !== false) await this.enforceTokenRate(req, app);
    return view(app, 'private_key_jwt');
  }

  /**
   * A public client naming itself (RFC 6749 §6: a refresh token bound to that client): it
   * must exist and be live, and it counts against its token rate like any other.
   */
  async identify(req: TokenRequest): Promise<AuthenticatedClient> {
    const clientId = req.params.get('client_id');
    if (!clientId) throw new InvalidRequest('client_id is required.');
    const unknown = (detail: string) => new InvalidClient('Unknown client.', { detail });
    if (!isId('app', clientId)) throw unknown('malformed client_id');
    const app = await this.cache.get(clientId, (id) => this.load(id));
    const live = appLiveness(app, app?.orgId);
    if (!app || !live.live) throw unknown(live.live ? 'unknown client' : live.reason);
    await this.enforceTokenRate(req, app);
    return view(app, 'none');
  }

  /** One round trip (see SqlPool): the app, its org and its live secrets. */
  private async load(clientId: string): Promise<ClientRecord | null> {
    const [row] = await this.sql.query<ClientRow>(
      `SELECT a.id, a.org_id, a.scopes, a.audiences, a.token_ttl_s, a.grant_types, a.delegates, a.step_token_ttl_s,
              a.disabled, o.name AS org_name, a.token_endpoint_auth_method, a.jwks, a.jwks_uri,
              a.dpop_bound_access_tokens, a.dpop_nonce_required,
              a.name, a.client_type, a.redirect_uris, a.post_logout_redirect_uris, a.require_pkce, a.consent,
              a.logo_uri, a.client_uri, a.policy_uri, a.tos_uri, a.password_login,
              a.token_rate_limit_requests, a.token_rate_limit_per_seconds,
              coalesce(json_agg(json_build_object('hash', s.secret_hash, 'expires_at', s.expires_at))
                       FILTER (WHERE s.id IS NOT NULL), '[]') AS secrets,
              (SELECT coalesce(json_agg(json_build_object(
                        'identifier', r.identifier,
                        'scopes', (SELECT coalesce(json_agg(e ->> 'name'), '[]') FROM jsonb_array_elements(r.scopes) e),
                        'token_ttl_s', r.token_ttl_s)), '[]')
                 FROM resources r WHERE r.org_id = a.org_id AND r.identifier = ANY(a.audiences)) AS resources
         FROM applications a
         JOIN organizations o ON o.id = a.org_id
         LEFT JOIN application_secrets s ON s.app_id = a.id AND s.revoked_at IS NULL
        WHERE a.id = $1
        GROUP BY a.id, o.name`,
      [clientId],
    );
    if (!row) return null;
    return {
      id: row.id,
      orgId: row.org_id,
      orgName: row.org_name,
      scopes: row.scopes,
      audiences: row.audiences,
      resources: row.resources.map((r) => ({ identifier: r.identifier, scopes: r.scopes, tokenTtlS: r.token_ttl_s })),
      tokenTtlS: row.token_ttl_s,
      grantTypes: row.grant_types,
      delegates: row.delegates,
      stepTokenTtlS: row.step_token_ttl_s,
      tokenRateLimit: { requests: row.token_rate_limit_requests, perSeconds: row.token_rate_limit_per_seconds },
      disabled: row.disabled,
      secrets: row.secrets.map((s) => ({
        hash: s.hash,
        expiresAtMs: s.expires_at === null ? null : Date.parse(s.expires_at),
      })),
      authMethod: row.token_endpoint_auth_method,
      // Validated when registered; imported once here, not per assertion.
      keys: row.jwks === null ? null : inlineKeys(row.jwks),
      jwksUri: row.jwks_uri,
      dpopBound: row.dpop_bound_access_tokens,
      dpopNonceRequired: row.dpop_nonce_required,
      signIn: {
        name: row.name,
        clientType: row.client_type,
        redirectUris: row.redirect_uris,
        postLogoutRedirectUris: row.post_logout_redirect_uris,
        requirePkce: row.require_pkce,
        consent: row.consent,
        logoUri: row.logo_uri,
        clientUri: row.client_uri,
        policyUri: row.policy_uri,
        tosUri: row.tos_uri,
        passwordLogin: row.password_login,
      },
    };
  }

  /**
   * The live client `clientId` names, for the authorization endpoint, the sign-in pages and
   * logout (no authentication there: the browser carries no client credential); null for an
   * unknown, malformed or disabled one, and for one whose org is gone.
   */
  async lookup(clientId: string | undefined): Promise<ClientRecord | null> {
    if (!clientId || !isId('app', clientId)) return null;
    const app = await this.cache.get(clientId, (id) => this.load(id));
    return app && appLiveness(app, app.orgId).live ? app : null;
  }

  /** RFC 6749 §5.2: an authenticated client not allowed this grant is unauthorized_client. */
  requireGrant(grantTypes: readonly string[], grantType: string): void {
    if (!grantTypes.includes(grantType)) {
      throw new UnauthorizedClient(`This client may not use the ${grantType} grant.`);
    }
  }

  /** docs/design.md §6: /oauth/token counts per client with the app's token_rate_limit. */
  /**
   * The client a request names and the secret it presents, without authenticating either: a
   * Basic header or `client_id`/`client_secret` in the body (a self-registered client's, which
   * the token endpoint resolves for the org of its code or refresh token).
   */
  claimed(req: TokenRequest): { clientId: string | undefined; secret: string | undefined } {
    const basic = parseBasic(req.authorization);
    return {
      clientId: basic?.id ?? req.params.get('client_id'),
      secret: basic?.secret ?? req.params.get('client_secret'),
    };
  }

  /** Counts a token request against the client's token rate (a 429 beyond it). */
  async enforceTokenRate(req: TokenRequest, app: Pick<ClientRecord, 'id' | 'orgId' | 'tokenRateLimit'>): Promise<void> {
    const key = `client:${app.id}`;
    const policy = { name: 'client', limit: app.tokenRateLimit.requests, windowS: app.tokenRateLimit.perSeconds };
    const c = await this.limits.count(req.meta, { key, policy, actor: { id: app.id, tier: 'app' }, orgId: app.orgId });
    Object.assign(req.responseHeaders, c.headers);
    if (!c.allowed) throw new TokenRateExceeded(`Token request rate exceeded; retry in ${c.retryAfterS} s.`);
  }
}

function view(app: ClientRecord, method: AuthenticatedClient['method']): AuthenticatedClient {
  return {
    id: app.id,
    orgId: app.orgId,
    orgName: app.orgName,
    scopes: app.scopes,
    audiences: app.audiences,
    resources: app.resources,
    tokenTtlS: app.tokenTtlS,
    grantTypes: app.grantTypes,
    delegates: app.delegates,
    stepTokenTtlS: app.stepTokenTtlS,
    dpopBound: app.dpopBound,
    dpopNonceRequired: app.dpopNonceRequired,
    method,
    publicClient: app.signIn.clientType === 'public',
  };
}

/**
 * A set the API accepted always imports; one changed behind its back (SQL by hand) that no
 * longer does verifies nothing, rather than failing every request of the client with a 500.
 */
function inlineKeys(jwks: unknown): ClientRecord['keys'] {
  try {
    return importClientJwks(jwks, 'inline');
  } catch {
    return [];
  }
}

/** RFC 6749 §2.3.1: client_id and secret are form-urlencoded before base64. */
function parseBasic(header: string | undefined): { id: string; secret: string } | null {
  const m = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(header?.trim() ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    return null;
  }
}
