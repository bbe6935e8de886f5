import { decodeJwt } from 'jose';
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
});
