import { Inject, Injectable } from '@nestjs/common';
import { RefusalAudit } from '@gatehouse/audit';
import { CLOCK, OAuthError, isId, type Clock } from '@gatehouse/core';
import { SqlPool } from '@gatehouse/db';
import { RateLimiter, rateLimitHeaders } from '@gatehouse/ratelimit';
import { CLIENT_SECRET_HASH, KEK, KeyedHasher } from '@gatehouse/credentials';
import { ClientCache, type ClientRecord } from './client-cache';
import type { TokenRequest } from './grant';

/** The client a token request authenticated as: what grants need of its record, and how. */
export type AuthenticatedClient = Pick<
  ClientRecord,
  'id' | 'orgId' | 'orgName' | 'scopes' | 'audiences' | 'tokenTtlS' | 'grantTypes'
> & { method: 'client_secret_basic' | 'client_secret_post' };

interface ClientRow {
  id: string;
  org_id: string;
  org_name: string;
  scopes: string[];
  audiences: string[];
  token_ttl_s: number;
  grant_types: string[];
  token_rate_limit_requests: number;
  token_rate_limit_per_seconds: number;
  disabled: boolean;
  secrets: { hash: string; expires_at: string | null }[];
}

/**
 * Client authentication for the token endpoint (RFC 6749 §2.3.1): client_secret_basic or
 * client_secret_post, exactly one per request. Secrets are compared as keyed hashes in
 * constant time — no bcrypt on this path (ARCHITECTURE.md §2). Every failure is the same
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

  async authenticate(req: TokenRequest): Promise<AuthenticatedClient> {
    const basic = parseBasic(req.authorization);
    const postId = req.params.get('client_id');
    const postSecret = req.params.get('client_secret');
    if (basic && (postSecret !== undefined || (postId !== undefined && postId !== basic.id))) {
      throw new OAuthError('invalid_request', 400, 'Use exactly one client authentication method.');
    }
    const method = basic ? 'client_secret_basic' : 'client_secret_post';
    const clientId = basic?.id ?? postId;
    const secret = basic?.secret ?? postSecret;
    const fail = () =>
      new OAuthError(
        'invalid_client',
        401,
        'Client authentication failed.',
        basic || req.authorization ? { 'WWW-Authenticate': 'Basic realm="gatehouse"' } : {},
      );
    if (req.authorization && !basic) throw fail();
    if (!clientId || !secret) throw fail();
    if (!isId('app', clientId) || secret.length > 200) throw fail();

    const app = await this.cache.get(clientId, (id) => this.load(id));
    const now = this.clock.now().getTime();
    // Compare against every live secret (an app holds up to two during a rotation).
    const match = app?.secrets.some(
      (s) => (s.expiresAtMs === null || s.expiresAtMs > now) && this.hasher.matches(secret, s.hash),
    );
    if (!app || !match || app.disabled) throw fail();
    await this.enforceTokenRate(req, app.id, app.tokenRateLimit.requests, app.tokenRateLimit.perSeconds, app.orgId);
    return {
      id: app.id,
      orgId: app.orgId,
      orgName: app.orgName,
      scopes: app.scopes,
      audiences: app.audiences,
      tokenTtlS: app.tokenTtlS,
      grantTypes: app.grantTypes,
      method,
    };
  }

  /** One round trip (see SqlPool): the app, its org and its live secrets. */
  private async load(clientId: string): Promise<ClientRecord | null> {
    const [row] = await this.sql.query<ClientRow>(
      `SELECT a.id, a.org_id, a.scopes, a.audiences, a.token_ttl_s, a.grant_types, a.disabled, o.name AS org_name,
              a.token_rate_limit_requests, a.token_rate_limit_per_seconds,
              coalesce(json_agg(json_build_object('hash', s.secret_hash, 'expires_at', s.expires_at))
                       FILTER (WHERE s.id IS NOT NULL), '[]') AS secrets
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
      tokenTtlS: row.token_ttl_s,
      grantTypes: row.grant_types,
      tokenRateLimit: { requests: row.token_rate_limit_requests, perSeconds: row.token_rate_limit_per_seconds },
      disabled: row.disabled,
      secrets: row.secrets.map((s) => ({
        hash: s.hash,
        expiresAtMs: s.expires_at === null ? null : Date.parse(s.expires_at),
      })),
    };
  }

  /** RFC 6749 §5.2: an authenticated client not allowed this grant is unauthorized_client. */
  requireGrant(grantTypes: string[], grantType: string): void {
    if (!grantTypes.includes(grantType)) {
      throw new OAuthError('unauthorized_client', 400, `This client may not use the ${grantType} grant.`);
    }
  }

  /**
   * ARCHITECTURE.md §6: /oauth/token counts per client with the app's token_rate_limit.
   * RFC 6749 has no error code for this; 429 with Retry-After and `temporarily_unavailable`
   * is what clients' retry logic already understands.
   */
  async enforceTokenRate(
    req: TokenRequest,
    clientId: string,
    requests: number,
    perSeconds: number,
    orgId: string,
  ): Promise<void> {
    const key = `client:${clientId}`;
    const policy = { name: 'client', limit: requests, windowS: perSeconds };
    const r = await this.limiter.check(key, policy);
    Object.assign(req.responseHeaders, rateLimitHeaders(r));
    if (!r.allowed) {
      await this.refusals.rateLimited(req.meta, {
        key,
        policy,
        retryAfterS: r.retryAfterS,
        actor: { id: clientId, tier: 'app' },
        orgId,
      });
      throw new OAuthError('temporarily_unavailable', 429, `Token request rate exceeded; retry in ${r.retryAfterS} s.`);
    }
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
