import { request, readJson, type FetchLike } from './http';

/**
 * An AuthZEN 1.0 entity (subject or resource). The AuthZEN wire types are declared here
 * once: this client sends and reads them, and Gatehouse's decision endpoint parses and
 * answers them.
 */
export interface DecisionEntity {
  type: string;
  id: string;
  properties?: Record<string, unknown>;
}

/** An AuthZEN 1.0 action. */
export interface DecisionAction {
  name: string;
  properties?: Record<string, unknown>;
}

/**
 * An AuthZEN 1.0 Access Evaluation request (§6).
 *
 * @example
 * ```ts
 * const req: DecisionRequest = {
 *   subject: { type: 'user', id: 'usr_01H…' },
 *   action: { name: 'invoices.export' },
 *   resource: { type: 'org', id: 'org_01H…' },
 * };
 * ```
 */
export interface DecisionRequest {
  subject: DecisionEntity;
  action: DecisionAction;
  resource: DecisionEntity;
  context?: Record<string, unknown>;
}

/**
 * Gatehouse's answer (AuthZEN 1.0 §6.2): `decision`, with the decision id and outcome, and the
 * reason, recovery and approval when it is not an allow.
 *
 * @example
 * ```ts
 * const d: Decision = { decision: true, context: { decision_id: 'decision_01H…', outcome: 'allow' } };
 * ```
 */
export interface Decision {
  decision: boolean;
  context: {
    decision_id: string;
    outcome: 'allow' | 'review' | 'deny';
    code?: string;
    reason_user?: string;
    reason_admin?: string;
    recovery?: string;
    approval_id?: string;
    /** An allow that spent a one-time approval: never reuse it. */
    single_use?: boolean;
  };
}

const OUTCOMES = new Set<unknown>(['allow', 'review', 'deny']);

export interface DecisionClientOptions {
  /** Gatehouse's issuer URL; the endpoint is `<issuer>/access/v1/evaluation`. */
  issuer: string;
  /** The resource server's own client credentials (HTTP Basic). */
  clientId: string;
  clientSecret: string;
  /** How long an answer may be reused, in ms (default 1000, at most 10000). */
  cacheTtlMs?: number;
  /** Answers kept at most (default 1000; the oldest goes first). */
  maxEntries?: number;
  /** Deadline of each call (default 2000 ms). */
  timeoutMs?: number;
  fetch?: FetchLike;
}

/**
 * Asks Gatehouse's decision endpoint (AuthZEN 1.0) whether a subject may do an action on a
 * resource now, with a short, bounded cache: an answer is reused for at most `cacheTtlMs`
 * (so a stop reaches this service within that time), identical questions in flight share
 * one call, and reviews and single-use allows are never reused. A Gatehouse that cannot be
 * reached is an error, never an allow.
 *
 * @example
 * ```ts
 * const decisions = createDecisionClient({ issuer, clientId, clientSecret });
 * const d = await decisions.decide({
 *   subject: { type: 'user', id: principal.sub },
 *   action: { name: 'invoices.export' },
 *   resource: { type: 'org', id: principal.orgId! },
 * });
 * if (!d.decision) throw new Error(`${d.context.code}: ${d.context.recovery}`);
 * ```
 */
export class DecisionClient {
  private readonly cache = new Map<string, { value: Decision; until: number }>();
  private readonly inFlight = new Map<string, Promise<Decision>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly fetchFn: FetchLike;
  private readonly endpoint: string;
  private readonly authorization: string;

  constructor(private readonly o: DecisionClientOptions) {
    this.ttlMs = Math.min(Math.max(o.cacheTtlMs ?? 1000, 0), 10_000);
    this.maxEntries = Math.max(o.maxEntries ?? 1000, 1);
    this.fetchFn = o.fetch ?? ((url, init) => fetch(url, init));
    this.endpoint = `${o.issuer.replace(/\/$/, '')}/access/v1/evaluation`;
    const basic = `${encodeURIComponent(o.clientId)}:${encodeURIComponent(o.clientSecret)}`;
    this.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
  }

  async decide(req: DecisionRequest): Promise<Decision> {
    const key = JSON.stringify([req.subject, req.action, req.resource, req.context ?? null]);
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.value;
    if (hit) this.cache.delete(key);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const call = this.ask(req).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, call);
    const value = await call;
    if (this.ttlMs > 0 && value.context.outcome !== 'review' && !value.context.single_use) {
      if (this.cache.size >= this.maxEntries) {
        const oldest = this.cache.keys().next().value;
        if (oldest !== undefined) this.cache.delete(oldest);
      }
      this.cache.set(key, { value, until: Date.now() + this.ttlMs });
    }
    return value;
  }

  /** Answers currently cached (for health pages and tests). */
  get size(): number {
    return this.cache.size;
  }

  private async ask(req: DecisionRequest): Promise<Decision> {
    const res = await request(
      this.fetchFn,
      this.endpoint,
      {
        method: 'POST',
        headers: { authorization: this.authorization, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(req),
      },
      this.o.timeoutMs ?? 2000,
    );
    if (!res.ok) throw new Error(`decision endpoint answered ${res.status}`);
    const body = await readJson(res, 'decision endpoint');
    if (typeof body.decision !== 'boolean') throw new Error('decision endpoint sent no decision');
    const context = (typeof body.context === 'object' && body.context ? body.context : {}) as Decision['context'];
    if (typeof context.decision_id !== 'string' || !OUTCOMES.has(context.outcome))
      throw new Error('decision endpoint sent no decision id or outcome');
    return { decision: body.decision, context };
  }
}

/** Creates a {@link DecisionClient}. */
export function createDecisionClient(o: DecisionClientOptions): DecisionClient {
  return new DecisionClient(o);
}
