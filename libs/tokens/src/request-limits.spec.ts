import { ProblemError } from '@gatehouse/core';
import { RefusalAudit, type AuditEntry, type AuditService, type RequestMeta } from '@gatehouse/audit';
import { RateLimiter } from '@gatehouse/ratelimit';
import { RequestLimits } from './request-limits';

/** The embedded mode's limiter (in process memory: no REDIS_URL) and a RefusalAudit whose rows are kept here. */
function limits() {
  const rows: AuditEntry[] = [];
  const audit = { recordGrouped: (_meta: RequestMeta, e: AuditEntry) => (rows.push(e), Promise.resolve(1)) };
  const limiter = new RateLimiter({ redisUrl: null, workers: 1, redisPrefix: 'test:' } as never);
  return { rows, limiter, limits: new RequestLimits(limiter, new RefusalAudit(audit as unknown as AuditService)) };
}

const meta: RequestMeta = { requestId: 'req_1', sourceIp: '192.0.2.1' } as RequestMeta;
const policy = { name: 'login', limit: 2, windowS: 60 };

describe('RequestLimits: count → audit the refusal → 429', () => {
  it('allows up to the limit with the RateLimit fields, then refuses with one audit row per key and window', async () => {
    const { rows, limiter, limits: l } = limits();
    const r = { key: 'login:addr:192.0.2.1', policy, orgId: 'org_1' };
    expect(await l.enforce(meta, r)).toMatchObject({ 'RateLimit-Policy': '"login";q=2;w=60' });
    expect(await l.count(meta, r)).toMatchObject({ allowed: true });
    const refused = await l.count(meta, r);
    expect(refused).toMatchObject({ allowed: false, retryAfterS: expect.any(Number) });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'ratelimit.refused', outcome: 'failure', orgId: 'org_1' });
    expect(rows[0]!.details).toMatchObject({ policy: 'login', limit: 2, window_s: 60 });
    // The key itself (it may hold an email) is never written.
    expect(JSON.stringify(rows)).not.toContain('192.0.2.1');

    const thrown = await l.enforce(meta, r).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(ProblemError);
    expect(thrown).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(rows).toHaveLength(1); // same key, same window: no second row
    limiter.onModuleDestroy?.();
  });

  it('throws the caller’s error on a refusal, with the headers and the wait', async () => {
    const { limits: l } = limits();
    const r = { key: 'dcr:addr:x', policy: { name: 'registration', limit: 1, windowS: 3600 } };
    await l.enforce(meta, r);
    const err = await l
      .enforce(meta, r, (c) => new Error(`retry in ${c.retryAfterS} s; ${c.headers['RateLimit-Policy']}`))
      .catch((e: Error) => e.message);
    expect(err).toMatch(/^retry in \d+ s; "registration";q=1;w=3600$/);
  });
});
