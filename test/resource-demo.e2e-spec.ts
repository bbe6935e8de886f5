import { createHmac, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { AccessTokenService } from '@gatehouse/tokens';
import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse, clientPost } from './support/gatehouse';
import { startResourceDemo, type ResourceDemo } from './support/resource-demo';

type App = { client_id: string; client_secret: string };
const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid as string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Gatehouse and apps/resource-demo both running: the demo verifies Gatehouse tokens
 * offline through @gatehouse/verifier (its own process, its own JWKS cache), with the
 * revocation feed polled every second and a per-token limit of 40 a minute.
 */
describe('resource-demo: offline verification of Gatehouse tokens', () => {
  let gh: TestGatehouse;
  let demo: ResourceDemo;
  let admin: string;
  let acme: { id: string; name: string };
  let globex: { id: string; name: string };
  let reader: App; // invoices:read
  let writer: App; // invoices:read invoices:write

  const form = (path: string, client: App, params: Record<string, string>) => clientPost(gh.url, client, path, params);
  const tokenFor = async (client: App) =>
    (
      (await (await form('/oauth/token', client, { grant_type: 'client_credentials' })).json()) as {
        access_token: string;
      }
    ).access_token;
  const invoices = (token: string, orgId = acme.id) => demo.api('GET', `/orgs/${orgId}/invoices`, { token });
  const mkApp = async (orgId: string, name: string, scopes: string[]) =>
    (await gh.api('POST', `/v1/orgs/${orgId}/apps`, { token: admin, body: { name, scopes } })).body as App;

  /** 401/403 with the RFC 6750 challenge naming the error. */
  const expectRefusal = (
    r: { status: number; headers: Headers; body: { error: string } },
    status: number,
    error: string,
  ) => {
    expect({ status: r.status, error: r.body.error }).toEqual({ status, error });
    expect(r.headers.get('www-authenticate')).toMatch(
      new RegExp(`^Bearer realm="resource-demo", error="${error}", error_description="[^"]+"`),
    );
  };

  beforeAll(async () => {
    gh = await startGatehouse({ redis: true });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    acme = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    globex = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'globex', display_name: 'G' } })).body;
    reader = await mkApp(acme.id, 'reader', ['invoices:read']);
    writer = await mkApp(acme.id, 'writer', ['invoices:read', 'invoices:write']);
    const feed = await mkApp(acme.id, 'demo-feed', ['gatehouse:revocations']);
    demo = await startResourceDemo({
      GATEHOUSE_ISSUER: gh.url,
      DEMO_FEED_CLIENT_ID: feed.client_id,
      DEMO_FEED_CLIENT_SECRET: feed.client_secret,
      DEMO_REVOCATION_INTERVAL_S: '1',
      DEMO_RATE_LIMIT: '40/60',
      DEMO_RATE_LIMIT_PREFIX: `${gh.env.GATEHOUSE_REDIS_PREFIX}demo:`,
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    });
  });
  afterAll(async () => {
    await demo?.stop();
    await gh?.close().catch(() => undefined);
  });

  it('lets a valid token through, with the per-token RateLimit fields, and reports a healthy verifier', async () => {
    const r = await invoices(await tokenFor(reader));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ org_id: acme.id, caller: reader.client_id });
    expect(r.headers.get('ratelimit-policy')).toBe('"token";q=40;w=60');
    expect(r.headers.get('ratelimit')).toMatch(/^"token";r=39;t=\d+$/);
    const byName = await invoices(await tokenFor(reader), 'acme');
    expect(byName.status).toBe(200);
    const who = await demo.api('GET', '/whoami', { token: await tokenFor(writer) });
    expect(who.body).toMatchObject({ tier: 'app', sub: writer.client_id, org: 'acme', org_id: acme.id });
    expect(who.body.scopes).toEqual(['invoices:read', 'invoices:write']);
    const health = (await demo.api('GET', '/healthz')).body;
    expect(health).toMatchObject({ status: 'ok', revocations: { mode: 'feed' } });
    expect(health.jwks.kids).toHaveLength(2); // current and the published next key
  });

  it('asks for a token without one (401, bare challenge)', async () => {
    const r = await demo.api('GET', `/orgs/${acme.id}/invoices`);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="resource-demo"');
  });

  it('refuses the wrong tier, a missing scope and another org with 403 insufficient_scope', async () => {
    const adminOnApp = await invoices(admin);
    expectRefusal(adminOnApp, 403, 'insufficient_scope');
    expect(adminOnApp.body.error_description).toMatch(/admin tokens/);
    expectRefusal(
      await demo.api('GET', '/admin/overview', { token: await tokenFor(reader) }),
      403,
      'insufficient_scope',
    );
    expect((await demo.api('GET', '/admin/overview', { token: admin })).status).toBe(200);

    const noScope = await demo.api('POST', `/orgs/${acme.id}/invoices`, { token: await tokenFor(reader), body: {} });
    expectRefusal(noScope, 403, 'insufficient_scope');
    expect(noScope.headers.get('www-authenticate')).toContain('scope="invoices:write"');
    const write = await demo.api('POST', `/orgs/${acme.id}/invoices`, { token: await tokenFor(writer), body: {} });
    expect(write.status).toBe(201);

    expectRefusal(await invoices(await tokenFor(reader), globex.id), 403, 'insufficient_scope');
    expectRefusal(await invoices(await tokenFor(reader), 'globex'), 403, 'insufficient_scope');
  });

  it('refuses expired, wrong-audience and forged tokens with 401 invalid_token', async () => {
    const minter = gh.app.get(AccessTokenService);
    const mint = async (over: { ttlS?: number; audience?: string }) =>
      (
        await minter.mint({
          tier: 'app',
          sub: reader.client_id,
          scopes: ['invoices:read'],
          ttlS: over.ttlS ?? 600,
          audience: over.audience,
          clientId: reader.client_id,
          org: acme,
        })
      ).token;
    const expired = await invoices(await mint({ ttlS: -60 }));
    expectRefusal(expired, 401, 'invalid_token');
    expect(expired.body.error_description).toMatch(/expired/);
    expectRefusal(await invoices(await mint({ audience: 'https://elsewhere.example' })), 401, 'invalid_token');

    const real = await tokenFor(reader);
    const [, payload] = real.split('.');
    const kid = kidOf(real);
    // alg: none
    expectRefusal(await invoices(`${b64({ alg: 'none', typ: 'at+jwt', kid })}.${payload}.`), 401, 'invalid_token');
    // HS256 keyed with the published RSA public key (algorithm confusion)
    const jwk = (await gh.api('GET', '/.well-known/jwks.json')).body.keys.find((k: { kid: string }) => k.kid === kid);
    const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'pem', type: 'spki' });
    const hsInput = `${b64({ alg: 'HS256', typ: 'at+jwt', kid })}.${payload}`;
    const hs = await invoices(`${hsInput}.${createHmac('sha256', pem).update(hsInput).digest('base64url')}`);
    expectRefusal(hs, 401, 'invalid_token');
    expect(hs.body.error_description).toMatch(/RS256/);
    // a kid Gatehouse never published, signed with a key of the attacker's own
    const rogue = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const rgInput = `${b64({ alg: 'RS256', typ: 'at+jwt', kid: 'key_01ARZ3NDEKTSV4RRFFQ69G5FAV' })}.${payload}`;
    const unknownKid = await invoices(
      `${rgInput}.${sign('sha256', Buffer.from(rgInput), rogue).toString('base64url')}`,
    );
    expectRefusal(unknownKid, 401, 'invalid_token');
    expect(unknownKid.body.error_description).toMatch(/unknown key/);
    // the right kid, the wrong key
    const wkInput = `${b64({ alg: 'RS256', typ: 'at+jwt', kid })}.${payload}`;
    const wrongKey = await invoices(`${wkInput}.${sign('sha256', Buffer.from(wkInput), rogue).toString('base64url')}`);
    expectRefusal(wrongKey, 401, 'invalid_token');
  });

  it('refuses a revoked token within one poll interval (1 s), and a revoke-all of the app', async () => {
    const token = await tokenFor(reader);
    expect((await invoices(token)).status).toBe(200);
    expect((await form('/oauth/revoke', reader, { token })).status).toBe(200);
    const revokedAt = Date.now();
    let r = await invoices(token);
    while (r.status === 200 && Date.now() - revokedAt < 5000) {
      await sleep(100);
      r = await invoices(token);
    }
    expectRefusal(r, 401, 'invalid_token');
    expect(r.body.error_description).toMatch(/revoked/);
    // one interval, plus the poll's own round trips (token endpoint, feed) on a busy machine
    expect(Date.now() - revokedAt).toBeLessThan(1000 + 1000);

    const before = await tokenFor(writer);
    expect((await invoices(before)).status).toBe(200);
    const all = await gh.api('POST', `/v1/orgs/${acme.id}/apps/${writer.client_id}/revoke-tokens`, { token: admin });
    expect(all.status).toBe(200);
    await sleep(1600);
    expectRefusal(await invoices(before), 401, 'invalid_token');
    // tokens_valid_from is at most a second after the revocation, so usually passed by now:
    // never a negative timeout (Node warns, TimeoutNegativeWarning, and waits 1 ms).
    await sleep(Math.max(0, Date.parse(all.body.tokens_valid_from) - Date.now()));
    expect((await invoices(await tokenFor(writer))).status).toBe(200);
  });

  it('answers 429 with Retry-After once a token has spent its limit', async () => {
    const token = await tokenFor(reader);
    const statuses: number[] = [];
    for (let i = 0; i < 41; i++) statuses.push((await invoices(token)).status);
    expect(statuses.slice(0, 40).every((s) => s === 200)).toBe(true);
    const r = await invoices(token);
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(r.headers.get('ratelimit')).toMatch(/^"token";r=0;t=\d+$/);
    // another token of the same app has its own budget
    expect((await invoices(await tokenFor(reader))).status).toBe(200);
  });

  it('verifies through a key rotation under load with zero failed requests', async () => {
    const kidBefore = kidOf(await tokenFor(reader));
    const jwksBefore = (await demo.api('GET', '/healthz')).body.jwks;
    await gh.sql(`UPDATE signing_keys SET created_at = created_at - interval '1 day' WHERE state = 'next'`);
    const failures: string[] = [];
    const okByKid = new Map<string, number>();
    let ok = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const token = await tokenFor(reader); // minted before or after the rotation
        const kid = kidOf(token);
        for (let i = 0; i < 30 && !stop; i++) {
          const r = await invoices(token);
          if (r.status === 200) {
            ok++;
            okByKid.set(kid, (okByKid.get(kid) ?? 0) + 1);
          } else failures.push(`${r.status} ${r.text}`);
        }
      }
    };
    const load = Promise.all(Array.from({ length: 6 }, worker));
    await sleep(1000);
    const rotated = await gh.api('POST', '/v1/keys/rotate', { token: admin });
    expect(rotated.status).toBe(200);
    // keep the load on until tokens signed by the new key have been verified for a while
    const deadline = Date.now() + 15_000;
    while ((okByKid.get(rotated.body.current_kid) ?? 0) < 200 && Date.now() < deadline) await sleep(100);
    stop = true;
    await load;
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(200);
    expect([...okByKid.keys()].sort()).toEqual([kidBefore, rotated.body.current_kid].sort());
    expect(okByKid.get(rotated.body.current_kid)).toBeGreaterThanOrEqual(200);
    // the new signing key was the published next key the demo already held: no refetch
    expect(jwksBefore.kids).toContain(rotated.body.current_kid);
    expect((await demo.api('GET', '/healthz')).body.jwks.fetched_at).toBe(jwksBefore.fetched_at);
  });

  it('keeps verifying tokens it has keys for while Gatehouse is down, and says revocation is expiry-only', async () => {
    const token = await tokenFor(reader);
    const server = gh.app.getHttpServer();
    server.close();
    server.closeAllConnections();
    await sleep(2500); // two feed polls fail
    expect((await invoices(token)).status).toBe(200);
    const health = (await demo.api('GET', '/healthz')).body;
    expect(health).toMatchObject({ status: 'degraded', revocations: { mode: 'expiry-only' } });
    expect(health.revocations.last_error).toBeTruthy();
    expectRefusal(await invoices(token, globex.id), 403, 'insufficient_scope');
  });
});
