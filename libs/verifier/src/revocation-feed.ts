import type { AccessTokenClaims } from './claims';
import { readJson, request, type FetchLike } from './http';
import { isRevokedBy, type RevocationFacts } from './revocation-rule';

/** The scope an application needs to read `GET /v1/revocations`. */
export const REVOCATION_FEED_SCOPE = 'gatehouse:revocations';

/** How the feed client gets its bearer token. */
export type FeedCredentials =
  | { clientId: string; clientSecret: string }
  /** Any source of an app token with the `gatehouse:revocations` scope. */
  | { token: () => string | Promise<string> };

export interface RevocationFeedOptions {
  url: string;
  credentials: FeedCredentials;
  intervalMs: number;
  fetch: FetchLike;
  timeoutMs: number;
  /** The token endpoint for client credentials (from discovery). */
  tokenEndpoint: () => string;
  onChange?: (mode: RevocationMode, error: string | null) => void;
}

/**
 * `feed`: revocations arrive within one poll interval. `expiry-only`: the feed is
 * unreachable; tokens revoked since the last sync stay accepted until they expire.
 */
export type RevocationMode = 'feed' | 'expiry-only' | 'off';

export interface RevocationHealth {
  mode: RevocationMode;
  last_sync_at: string | null;
  cursor: string | null;
  revoked_tokens: number;
  principal_marks: number;
  /** Orgs and apps stopped right now (a governance pause, an inactive contract). */
  access_stops: number;
  last_error: string | null;
}

interface FeedPage {
  revoked_tokens?: { jti: string; expires_at: string }[];
  principal_revocations?: { subject_id: string; valid_after: string }[];
  access_stops?: { subject_id: string; stopped: boolean; reason: string | null }[];
  next_cursor?: string;
  has_more?: boolean;
}

const MAX_PAGES_PER_POLL = 50;

/**
 * Offline revocation state, kept in step with Gatehouse's `GET /v1/revocations` by polling:
 * revoked jtis (until the token would have expired anyway) and per-principal "valid after"
 * marks on a user, an app or an org. Checks are two Map lookups.
 */
export class RevocationFeed {
  private readonly jtis = new Map<string, number>();
  private readonly marks = new Map<string, number>();
  /** Org or app id → the control layer's reason code, while it is stopped. */
  private readonly stops = new Map<string, string>();
  private cursor: string | null = null;
  private lastSync = 0;
  private lastError: string | null = null;
  private mode: RevocationMode = 'expiry-only';
  private reportedDown = false;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private bearer: { token: string; until: number } | null = null;

  constructor(private readonly o: RevocationFeedOptions) {}

  /** The same rule as Gatehouse (revocation-rule.ts), over what the feed has delivered. */
  isRevoked(c: AccessTokenClaims): boolean {
    return isRevokedBy(c, this.facts);
  }

  private readonly facts: RevocationFacts = {
    jtiRevoked: (jti) => this.jtis.has(jti),
    validAfterMs: (id) => this.marks.get(id),
  };

  /** Takes in one page of the feed (what a sync does with each page it fetches). */
  apply(body: Pick<FeedPage, 'revoked_tokens' | 'principal_revocations' | 'access_stops'>): void {
    const now = Date.now();
    for (const t of body.revoked_tokens ?? []) {
      const exp = Date.parse(t.expires_at);
      if (exp > now) this.jtis.set(t.jti, exp);
    }
    for (const m of body.principal_revocations ?? []) {
      const at = Date.parse(m.valid_after);
      if (!(at <= (this.marks.get(m.subject_id) ?? -Infinity))) this.marks.set(m.subject_id, at);
    }
    // Oldest first: the last entry for a subject is its state now (docs/control.md#offline).
    for (const st of body.access_stops ?? []) {
      if (st.stopped) this.stops.set(st.subject_id, st.reason ?? 'access_stopped');
      else this.stops.delete(st.subject_id);
    }
  }

  /**
   * The reason code when the token's org or app is stopped right now (an org-wide or
   * app-wide stop of the control layer; unlike a revocation it lifts when the feed says so).
   */
  stoppedFor(c: AccessTokenClaims): string | null {
    if (this.stops.size === 0) return null;
    for (const id of [c.org_id, c.client_id]) {
      const reason = id === undefined ? undefined : this.stops.get(id);
      if (reason !== undefined) return reason;
    }
    return null;
  }

  start(): Promise<void> {
    this.timer ??= setInterval(() => void this.poll(), this.o.intervalMs).unref();
    return this.poll();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One sync; never rejects (a failure switches to expiry-only and is reported by health). */
  poll(): Promise<void> {
    this.polling ??= this.sync()
      .then(() => this.setMode('feed', null))
      .catch((err: Error) => this.setMode('expiry-only', err.message))
      .finally(() => {
        this.polling = null;
      });
    return this.polling;
  }

  health(): RevocationHealth {
    // A hung or silently stopped poller is as good as an unreachable feed.
    const stale = Date.now() - this.lastSync > 3 * this.o.intervalMs + this.o.timeoutMs;
    return {
      mode: this.mode === 'feed' && stale ? 'expiry-only' : this.mode,
      last_sync_at: this.lastSync ? new Date(this.lastSync).toISOString() : null,
      cursor: this.cursor,
      revoked_tokens: this.jtis.size,
      principal_marks: this.marks.size,
      access_stops: this.stops.size,
      last_error: this.lastError ?? (stale && this.lastSync ? 'no successful sync recently' : null),
    };
  }

  /** Reports the first outcome, then every change. */
  private setMode(mode: RevocationMode, error: string | null): void {
    const report = mode !== this.mode || this.lastSync === 0;
    this.mode = mode;
    this.lastError = error;
    if (report && !(mode === 'expiry-only' && this.reportedDown)) this.o.onChange?.(mode, error);
    this.reportedDown = mode === 'expiry-only';
  }

  private async sync(): Promise<void> {
    for (let page = 0; page < MAX_PAGES_PER_POLL; page++) {
      const body = await this.fetchPage();
      this.apply(body);
      if (typeof body.next_cursor === 'string') this.cursor = body.next_cursor;
      if (!body.has_more) break;
    }
    for (const [jti, exp] of this.jtis) if (exp <= Date.now()) this.jtis.delete(jti);
    this.lastSync = Date.now();
  }

  private async fetchPage(retried = false): Promise<FeedPage> {
    const url = new URL(this.o.url);
    if (this.cursor) url.searchParams.set('since', this.cursor);
    const token = await this.token();
    const res = await request(
      this.o.fetch,
      url.toString(),
      { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } },
      this.o.timeoutMs,
    );
    if (res.status === 401 && !retried) {
      this.bearer = null;
      return this.fetchPage(true);
    }
    if (!res.ok) throw new Error(`revocation feed answered ${res.status}`);
    return (await readJson(res, 'revocation feed')) as FeedPage;
  }

  private async token(): Promise<string> {
    const creds = this.o.credentials;
    if ('token' in creds) return creds.token();
    if (this.bearer && Date.now() < this.bearer.until) return this.bearer.token;
    const basic = Buffer.from(
      `${encodeURIComponent(creds.clientId)}:${encodeURIComponent(creds.clientSecret)}`,
    ).toString('base64');
    const res = await request(
      this.o.fetch,
      this.o.tokenEndpoint(),
      {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: REVOCATION_FEED_SCOPE }).toString(),
      },
      this.o.timeoutMs,
    );
    if (!res.ok) throw new Error(`token endpoint answered ${res.status}`);
    const body = await readJson(res, 'token endpoint');
    if (typeof body.access_token !== 'string') throw new Error('token endpoint sent no access_token');
    const ttlS = typeof body.expires_in === 'number' ? body.expires_in : 60;
    // Renew well before expiry so a poll never carries a token that dies in flight.
    this.bearer = { token: body.access_token, until: Date.now() + Math.max(5, ttlS - 30) * 1000 };
    return body.access_token;
  }
}
