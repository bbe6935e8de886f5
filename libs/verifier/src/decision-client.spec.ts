import { DecisionClient, type Decision } from './decision-client';

const req = (action = 'export') => ({
  subject: { type: 'user', id: 'usr_1' },
  action: { name: action },
  resource: { type: 'org', id: 'org_1' },
});

function fakeGatehouse(answers: Decision[]) {
  const calls: { url: string; init?: RequestInit }[] = [];
  const fetch = async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    const body = answers[Math.min(calls.length - 1, answers.length - 1)];
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { calls, fetch };
}

const allow: Decision = { decision: true, context: { decision_id: 'dec_1', outcome: 'allow' } };
const deny: Decision = {
  decision: false,
  context: { decision_id: 'dec_2', outcome: 'deny', code: 'contract_inactive' },
};

describe('DecisionClient (docs/control.md#authzen)', () => {
  it('asks the evaluation endpoint with the client credentials, and reuses an answer within its TTL', async () => {
    const g = fakeGatehouse([allow, deny]);
    const c = new DecisionClient({
      issuer: 'https://id.test/',
      clientId: 'app_1',
      clientSecret: 's3cret',
      cacheTtlMs: 60_000,
      fetch: g.fetch,
    });
    expect(await c.decide(req())).toEqual(allow);
    expect(await c.decide(req())).toEqual(allow);
    expect(g.calls).toHaveLength(1);
    expect(g.calls[0]!.url).toBe('https://id.test/access/v1/evaluation');
    expect(new Headers(g.calls[0]!.init!.headers).get('authorization')).toBe(
      `Basic ${Buffer.from('app_1:s3cret').toString('base64')}`,
    );
    expect(JSON.parse(String(g.calls[0]!.init!.body))).toEqual(req());
    // Another question is another call.
    expect(await c.decide(req('delete'))).toEqual(deny);
    expect(g.calls).toHaveLength(2);
  });

  it('refuses an answer without its decision id or outcome (an error, never an allow)', async () => {
    for (const context of [
      { outcome: 'allow' },
      { decision_id: 'dec_1' },
      { decision_id: 'dec_1', outcome: 'maybe' },
    ]) {
      const g = fakeGatehouse([{ decision: true, context } as unknown as Decision]);
      const c = new DecisionClient({ issuer: 'https://id.test', clientId: 'a', clientSecret: 'b', fetch: g.fetch });
      await expect(c.decide(req())).rejects.toThrow('decision endpoint sent no decision id or outcome');
    }
  });

  it('with no TTL every question is asked; concurrent identical ones share one call', async () => {
    const g = fakeGatehouse([allow]);
    const c = new DecisionClient({
      issuer: 'https://id.test',
      clientId: 'a',
      clientSecret: 'b',
      cacheTtlMs: 0,
      fetch: g.fetch,
    });
    await Promise.all([c.decide(req()), c.decide(req()), c.decide(req())]);
    expect(g.calls).toHaveLength(1);
    await c.decide(req());
    expect(g.calls).toHaveLength(2);
    expect(c.size).toBe(0);
  });

  it('never reuses a review or a single-use allow, and keeps at most maxEntries', async () => {
    const review: Decision = {
      decision: false,
      context: { decision_id: 'dec_2', outcome: 'review', approval_id: 'apr_1' },
    };
    const once: Decision = { decision: true, context: { decision_id: 'dec_3', outcome: 'allow', single_use: true } };
    const g = fakeGatehouse([review, once, allow]);
    const c = new DecisionClient({
      issuer: 'https://id.test',
      clientId: 'a',
      clientSecret: 'b',
      cacheTtlMs: 60_000,
      maxEntries: 2,
      fetch: g.fetch,
    });
    await c.decide(req());
    await c.decide(req());
    await c.decide(req());
    expect(g.calls).toHaveLength(3);
    for (const a of ['x', 'y', 'z']) await c.decide(req(a));
    expect(c.size).toBe(2);
  });

  it('an unreachable or failing Gatehouse is an error, never an allow', async () => {
    const c = new DecisionClient({
      issuer: 'https://id.test',
      clientId: 'a',
      clientSecret: 'b',
      fetch: async () => new Response('{}', { status: 503 }),
    });
    await expect(c.decide(req())).rejects.toThrow(/503/);
  });
});
