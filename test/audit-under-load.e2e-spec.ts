import { decodeJwt } from 'jose';
import { AuditLog, AuditService } from '@gatehouse/audit';
import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

/**
 * docs/design.md §8 under load: with many requests in flight the token.issued rows are
 * group-committed, and still the rows are exactly the tokens clients received — one row
 * per token, none for a token that was not sent, none missing.
 */
describe('token.issued rows under load', () => {
  let gh: TestGatehouse;
  afterAll(() => gh?.close());

  it('equal the tokens received, jti for jti', async () => {
    gh = await startGatehouse();
    const admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    const org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'load', display_name: 'L' } })).body;
    const app = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        token: admin,
        body: { name: 'svc', scopes: ['x'], token_rate_limit: { requests: 100_000, per_seconds: 60 } },
      })
    ).body as { client_id: string; client_secret: string };

    const total = 1500;
    const concurrency = 48;
    const body = `grant_type=client_credentials&client_id=${app.client_id}&client_secret=${app.client_secret}`;
    const received: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < total) {
        next++;
        const r = await fetch(`${gh.url}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body,
        });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 200)
          received.push(decodeJwt(((await r.json()) as { access_token: string }).access_token).jti!);
        else await r.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));

    expect(Object.fromEntries(statuses)).toEqual({ 200: total });
    const rows = await gh.sql<{ jti: string; outcome: string }>(
      `SELECT jti, outcome FROM audit_events WHERE action = 'token.issued' AND actor_id = $1`,
      [app.client_id],
    );
    expect(rows).toHaveLength(total);
    expect(new Set(rows.map((r) => r.jti))).toEqual(new Set(received));
    // The rows did go out in batches (group commit), not one commit each.
    const [batches] = await gh.sql<{ n: number }>(
      `SELECT count(DISTINCT xmin::text)::int AS n FROM audit_events WHERE action = 'token.issued' AND actor_id = $1`,
      [app.client_id],
    );
    expect(batches!.n).toBeLessThan(total);
  });

  it('a batch keeps every field of every row exactly and in the order recorded, and the chain verifies', async () => {
    const audit = gh.app.get(AuditService);
    // Characters an array literal must escape, JSON that must survive text[] → jsonb, and NULLs.
    const awkward = {
      quote: 'a"b',
      brace: '{x,y}',
      backslash: 'c\\d',
      accents: 'é ✓',
      nil: null,
      nested: { n: [1, '2'] },
    };
    const entries = Array.from({ length: 40 }, (_, i) => ({
      action: 'token.issued' as const,
      outcome: 'success' as const,
      actor: { id: `app_batch${i}`, tier: 'app' as const },
      orgId: i % 2 ? null : 'org_batch',
      target: i % 3 ? null : { type: 'app', id: `app_batch${i}` },
      reason: i % 5 ? null : 'NULL',
      jti: `tok_batch${String(i).padStart(2, '0')}`,
      details: { ...awkward, i },
    }));
    await Promise.all(
      entries.map((e, i) => audit.recordGrouped({ requestId: `req_${i}`, sourceIp: i % 2 ? null : '::1' }, e)),
    );

    const rows = await gh.sql<Record<string, unknown>>(
      `SELECT actor_id, org_id, target_type, target_id, reason, request_id, source_ip, jti, details, xmin::text AS tx
         FROM audit_events WHERE jti LIKE 'tok_batch%' ORDER BY chain_seq`,
    );
    expect(rows.map((r) => r.jti).sort()).toEqual(entries.map((e) => e.jti));
    for (const r of rows) {
      const i = Number(String(r.jti).slice('tok_batch'.length));
      const e = entries[i]!;
      expect(r).toMatchObject({
        actor_id: e.actor.id,
        org_id: e.orgId,
        target_type: e.target?.type ?? null,
        target_id: e.target?.id ?? null,
        reason: e.reason,
        request_id: `req_${i}`,
        source_ip: i % 2 ? null : '::1',
        details: e.details,
      });
    }
    // Concurrent flushes commit in any order; within one flush the rows keep the order recorded.
    const byFlush = new Map<unknown, number[]>();
    for (const r of rows) byFlush.set(r.tx, [...(byFlush.get(r.tx) ?? []), Number(String(r.jti).slice(9))]);
    for (const indices of byFlush.values()) expect(indices).toEqual([...indices].sort((x, y) => x - y));
    expect(new Set(rows.map((r) => r.tx)).size).toBeLessThan(entries.length); // some rows shared a flush
    expect(await gh.app.get(AuditLog).verify()).toMatchObject({ ok: true });
  });
});
