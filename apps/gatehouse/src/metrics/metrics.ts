import cluster from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { FormBody } from '../http/form-body';

/**
 * Prometheus metrics (docs/reliability.md#metrics), one registry per process. With
 * GATEHOUSE_METRICS_PORT set they are served on that port (on HOST), never on the API
 * port: by the primary, which aggregates its workers' registries over the cluster IPC, or
 * by the process itself when it runs alone.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'gatehouse_process_' });

const GRANTS = new Set(['client_credentials', 'refresh_token', 'urn:ietf:params:oauth:grant-type:token-exchange']);

export const httpDuration = new Histogram({
  name: 'gatehouse_http_request_duration_seconds',
  help: 'HTTP request latency by route template, method and status',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});
export const tokensIssued = new Counter({
  name: 'gatehouse_token_requests_total',
  help: 'POST /oauth/token answers by grant type and outcome (issued, refused, rate_limited, unavailable, error)',
  labelNames: ['grant', 'outcome'],
  registers: [registry],
});
export const rateLimitRefusals = new Counter({
  name: 'gatehouse_rate_limit_refusals_total',
  help: '429 answers by route template',
  labelNames: ['route'],
  registers: [registry],
});
export const auditFlushSeconds = new Histogram({
  name: 'gatehouse_audit_flush_seconds',
  help: 'Audit group-commit flush latency',
  labelNames: ['ok'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
  registers: [registry],
});
export const auditFlushRows = new Histogram({
  name: 'gatehouse_audit_flush_batch_rows',
  help: 'Rows per audit group-commit flush',
  buckets: [1, 2, 5, 10, 25, 50, 100, 250, 1000],
  registers: [registry],
});
export const accessDecisions = new Counter({
  name: 'gatehouse_access_decisions_total',
  help: 'Access-gate decisions by point (issuance, introspection, request, decision), outcome and reason',
  labelNames: ['point', 'outcome', 'reason'],
  registers: [registry],
});

let keyProbe:
  (() => Promise<{ keys: { state: string; created_at: string }[]; next_rotation_at: string | null }>) | null = null;

/** The signing keys, read at scrape time. */
export function setKeyProbe(probe: NonNullable<typeof keyProbe>): void {
  keyProbe = probe;
}

export const keyAge = new Gauge({
  name: 'gatehouse_signing_key_age_seconds',
  help: 'Age of the newest signing key in each state (next, current, retired), at scrape time',
  labelNames: ['state'],
  registers: [registry],
  aggregator: 'max',
  async collect() {
    if (!keyProbe) return;
    const { keys } = await keyProbe();
    const now = Date.now();
    this.reset();
    for (const state of ['next', 'current', 'retired']) {
      const k = keys.find((x) => x.state === state);
      if (k) this.set({ state }, Math.round((now - Date.parse(k.created_at)) / 1000));
    }
  },
});

export const nextRotation = new Gauge({
  name: 'gatehouse_signing_key_next_rotation_seconds',
  help: 'Seconds until the scheduled rotation (negative: overdue), at scrape time',
  registers: [registry],
  aggregator: 'min',
  async collect() {
    if (!keyProbe) return;
    const { next_rotation_at } = await keyProbe();
    if (next_rotation_at) this.set(Math.round((Date.parse(next_rotation_at) - Date.now()) / 1000));
  },
});

let dependencyProbe: (() => Promise<{ checks: Record<string, string> }>) | null = null;

/** The readiness checks, run at scrape time. */
export function setDependencyProbe(probe: () => Promise<{ checks: Record<string, string> }>): void {
  dependencyProbe = probe;
}

export const dependencyUp = new Gauge({
  name: 'gatehouse_dependency_up',
  help: "1 when PostgreSQL / Redis answered this process's readiness check at scrape time, else 0 (min over workers)",
  labelNames: ['dependency'],
  registers: [registry],
  aggregator: 'min',
  async collect() {
    if (!dependencyProbe) return;
    const { checks } = await dependencyProbe();
    for (const [dependency, state] of Object.entries(checks)) {
      if (state !== 'not_configured') this.set({ dependency }, state === 'ok' ? 1 : 0);
    }
  },
});

function outcome(status: number): string {
  if (status === 200) return 'issued';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'unavailable';
  return status >= 500 ? 'error' : 'refused';
}

/** Records every answer: latency per route, issuance, refusals. */
export function instrument(fastify: FastifyInstance): void {
  if (cluster.isWorker) {
    // Answer the primary's aggregation requests with this process's registry.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([registry]);
  }
  fastify.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions?.url ?? 'unmatched';
    const status = reply.statusCode;
    httpDuration.observe({ method: req.method, route, status: String(status) }, reply.elapsedTime / 1000);
    if (status === 429) rateLimitRefusals.inc({ route });
    if (route === '/oauth/token') {
      const g = req.body instanceof FormBody ? (req.body.params.get('grant_type') ?? '') : '';
      tokensIssued.inc({ grant: GRANTS.has(g) ? g : 'other', outcome: outcome(status) });
    }
    done();
  });
}
/** docs/sign-in.md#metrics: /oauth/authorize answers by outcome. */
export const authorizationRequests = new Counter({
  name: 'gatehouse_authorization_requests_total',
  help: '/oauth/authorize answers: sign_in (pages shown), code (SSO), error_redirect, error_page, stopped',
  labelNames: ['outcome'],
  registers: [registry],
});

/** docs/sign-in.md#metrics: hosted page results (page, next, code, denied, stopped, expired, forbidden) and logouts. */
export const signInPages = new Counter({
  name: 'gatehouse_sign_in_results_total',
  help: 'Hosted sign-in page answers by result, and logouts',
  labelNames: ['result'],
  registers: [registry],
});
