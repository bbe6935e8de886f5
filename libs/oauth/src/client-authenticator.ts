import { Inject, Injectable } from '@nestjs/common';
import { RefusalAudit } from '@gatehouse/audit';
import {
  CLOCK,
  InvalidClient,
  InvalidRequest,
  TokenRateExceeded,
  UnauthorizedClient,
  isId,
  type Clock,
} from '@gatehouse/core';
import { appLiveness } from '@gatehouse/tokens';
import { SqlPool } from '@gatehouse/db';
import { RateLimiter, rateLimitHeaders } from '@gatehouse/ratelimit';
import { CLIENT_SECRET_HASH, KEK, KeyedHasher } from '@gatehouse/credentials';
import { ClientCache, type ClientRecord } from './client-cache';
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
> & {
  /** `none`: a public client that only named itself (a grant whose authentication is optional). */
  method: 'client_secret_basic' | 'client_secret_post' | 'none';
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
}

/**
 * Client authentication for the token endpoint (RFC 6749 §2.3.1): client_secret_basic or
 * client_secret_post, exactly one per request. Secrets are compared as keyed hashes in
 * constant time — no bcrypt on this path (docs/design.md §2). Every failure is the same
 * `invalid_client`, so responses do not tell an unknown client from a wrong secret.
 */
@Injectable()
export class ClientAuthenticator {
  private readonly hasher: KeyedHasher;

  constructor(
    private readonly sql: SqlPool,
    private readonly cache: ClientCache,
    private readonly limiter: RateLimiter,
    private readonly refusals: RefusalAudit,
    @Inject(KEK) kek: Buffer,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.hasher = new KeyedHasher(kek, CLIENT_SECRET_HASH);
  }

  /** Whether the request carries client credentials (an Authorization header or a client_secret). */
  presentsCredentials(req: TokenRequest): boolean {
    return req.authorization !== undefined || req.params.has('client_secret');
  }

  /**
   * `countTokenRate: false` for the decision API (docs/control.md#authzen): a PEP asks once
   * per request it serves, which must not spend the app's token_rate_limit.
   */
  async authenticate(req: TokenRequest, opts: { countTokenRate?: boolean } = {}): Promise<AuthenticatedClient> {
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
    if (!match) throw fail('wrong secret');
    if (opts.countTokenRate !== false) await this.enforceTokenRate(req, app);
    return view(app, method);
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
              a.disabled, o.name AS org_name,
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
    };
  }

  /** RFC 6749 §5.2: an authenticated client not allowed this grant is unauthorized_client. */
  requireGrant(grantTypes: readonly string[], grantType: string): void {
    if (!grantTypes.includes(grantType)) {
      throw new UnauthorizedClient(`This client may not use the ${grantType} grant.`);
    }
  }

  /** docs/design.md §6: /oauth/token counts per client with the app's token_rate_limit. */
  private async enforceTokenRate(req: TokenRequest, app: ClientRecord): Promise<void> {
    const key = `client:${app.id}`;
    const policy = { name: 'client', limit: app.tokenRateLimit.requests, windowS: app.tokenRateLimit.perSeconds };
    const r = await this.limiter.check(key, policy);
    Object.assign(req.responseHeaders, rateLimitHeaders(r));
    if (!r.allowed) {
      await this.refusals.rateLimited(req.meta, {
        key,
        policy,
        retryAfterS: r.retryAfterS,
        actor: { id: app.id, tier: 'app' },
        orgId: app.orgId,
      });
      throw new TokenRateExceeded(`Token request rate exceeded; retry in ${r.retryAfterS} s.`);
    }
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
    method,
  };
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
