import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  checkAuthorizationRequest,
  ClientRefused,
  ClientResolver,
  FormParams,
  redirectUriRegistered,
} from '@gatehouse/oauth';
import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { makeTestCa } from './support/test-ca';

/**
 * Client ID Metadata Documents (docs/client-registration.md): the resolver fetches a
 * client's document from an https server on loopback whose certificate a test CA signed, and
 * refuses, one test each, a redirect, a private address, an oversized document, a slow one, a
 * mismatched client_id, missing fields, a redirect URI not in the document and a blocked domain.
 */
describe('Client ID Metadata Documents', () => {
  let gh: TestGatehouse;
  let server: Server;
  let base: string;
  let admin: string;
  let org: { id: string };
  let other: { id: string };
  const hits = new Map<string, number>();
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  const meta = { requestId: 'req_cimd_test', sourceIp: '127.0.0.1' };

  const doc = (path: string, extra: Record<string, unknown> = {}) => ({
    client_id: `${base}${path}`,
    client_name: 'Notes agent',
    redirect_uris: ['http://127.0.0.1:33418/callback'],
    ...extra,
  });
  const serveJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    routes.set(path, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
  const resolve = (clientId: string, orgId: string | null = org.id) =>
    gh.app.get(ClientResolver).resolve(clientId, { orgId, meta });
  const refusal = async (clientId: string, orgId: string | null = org.id) => {
    try {
      await resolve(clientId, orgId);
    } catch (e) {
      if (e instanceof ClientRefused) return e.code;
      throw e;
    }
    return 'resolved';
  };
  const audits = (clientId: string) =>
    gh.sql<{ outcome: string; reason: string | null; org_id: string; details: Record<string, unknown> }>(
      `SELECT outcome, reason, org_id, details FROM audit_events
        WHERE action = 'client.metadata_document.fetched' AND target_id = $1 ORDER BY occurred_at`,
      [clientId],
    );
  const setPolicy = (orgId: string, cimd: { policy: string; domains?: string[] }) =>
    gh.api('PUT', `/v1/orgs/${orgId}/client-registration`, {
      token: admin,
      body: { dynamic_client_registration: { enabled: false }, client_id_metadata_documents: cimd },
    });

  beforeAll(async () => {
    const ca = makeTestCa();
    server = createServer({ cert: ca.certPem, key: ca.keyPem }, (req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      hits.set(path, (hits.get(path) ?? 0) + 1);
      const route = routes.get(path);
      if (route) route(req, res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
    gh = await startGatehouse({ env: { GATEHOUSE_CIMD_ALLOW_LOOPBACK: 'true' }, outboundCa: ca.trust });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'notes-co', display_name: 'Notes' } })).body;
    other = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'other-co', display_name: 'Other' } }))
      .body;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await gh?.close();
  });

  it('resolves a valid document over https, caches it, and audits the fetch once with its hash', async () => {
    const body = JSON.stringify(
      doc('/good.json', { redirect_uris: ['http://127.0.0.1:33418/callback', 'http://localhost:33418/cb'] }),
    );
    serveJson('/good.json', body, { 'cache-control': 'max-age=120' });
    const id = `${base}/good.json`;
    const client = await resolve(id);
    expect(client).toMatchObject({
      clientId: id,
      source: 'metadata_document',
      orgId: org.id,
      displayName: 'Notes agent',
      redirectUris: ['http://127.0.0.1:33418/callback', 'http://localhost:33418/cb'],
      authMethod: 'none',
      grantTypes: ['authorization_code'],
      selfRegistered: true,
      consent: { redirectHosts: ['127.0.0.1:33418', 'localhost:33418'], allRedirectsLoopback: true },
    });
    const sha256 = createHash('sha256').update(body).digest('hex');
    expect(client.documentHash).toBe(sha256);
    await resolve(id);
    expect(hits.get('/good.json')).toBe(1);
    const rows = await audits(id);
    expect(rows).toEqual([
      {
        outcome: 'success',
        reason: null,
        org_id: org.id,
        details: expect.objectContaining({ sha256, address: '127.0.0.1', client_name: 'Notes agent' }),
      },
    ]);
    // The org's list of self-registered clients shows it; consent is recorded by the consent page.
    await gh.app.get(ClientResolver).recordConsent(org.id, id);
    const list = await gh.api('GET', `/v1/orgs/${org.id}/client-registration/clients`, { token: admin });
    expect(list.body.items).toEqual([
      expect.objectContaining({
        client_id: id,
        kind: 'metadata_document',
        document_hash: sha256,
        consented_at: expect.any(String),
        blocked_at: null,
      }),
    ]);
  });

  it('shares one fetch between concurrent sign-ins of a new client', async () => {
    serveJson('/busy.json', doc('/busy.json'));
    const id = `${base}/busy.json`;
    const clients = await Promise.all(Array.from({ length: 8 }, () => resolve(id)));
    expect(new Set(clients.map((c) => c.documentHash)).size).toBe(1);
    expect(hits.get('/busy.json')).toBe(1);
    expect(await audits(id)).toHaveLength(1);
    expect(await gh.sql('SELECT 1 FROM org_external_clients WHERE client_id = $1', [id])).toHaveLength(1);
  });

  it('refuses a redirect and does not follow it', async () => {
    serveJson('/target.json', doc('/moved.json'));
    routes.set('/moved.json', (_req, res) => res.writeHead(302, { location: `${base}/target.json` }).end());
    expect(await refusal(`${base}/moved.json`)).toBe('redirect_refused');
    expect(hits.get('/target.json')).toBeUndefined();
    expect(await audits(`${base}/moved.json`)).toEqual([
      expect.objectContaining({ outcome: 'failure', reason: 'redirect_refused' }),
    ]);
  });

  it('refuses private and special-use addresses without connecting', async () => {
    expect(await refusal('https://10.0.0.7/client.json')).toBe('address_refused');
    expect(await refusal('https://169.254.169.254/latest/meta-data')).toBe('address_refused');
    expect(await refusal('https://[fd00::1]/client.json')).toBe('address_refused');
  });

  it('refuses a document over 5 KB, declared or streamed', async () => {
    const big = JSON.stringify(doc('/big.json', { logo_uri: `https://x.example/${'a'.repeat(6000)}` }));
    serveJson('/big.json', big);
    expect(await refusal(`${base}/big.json`)).toBe('too_large');
    routes.set('/chunked.json', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < 8; i++) res.write(' '.repeat(1024));
      res.end('{}');
    });
    expect(await refusal(`${base}/chunked.json`)).toBe('too_large');
  });

  it('gives up on a document that takes longer than 3 s', async () => {
    routes.set('/slow.json', (_req, res) => {
      const t = setTimeout(() => res.writeHead(200).end(JSON.stringify(doc('/slow.json'))), 5000);
      res.on('close', () => clearTimeout(t));
    });
    const started = Date.now();
    expect(await refusal(`${base}/slow.json`)).toBe('timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    expect(Date.now() - started).toBeLessThan(4500);
  });

  it('refuses a document whose client_id is not the URL', async () => {
    serveJson('/mismatch.json', doc('/other.json'));
    expect(await refusal(`${base}/mismatch.json`)).toBe('client_id_mismatch');
  });

  it('refuses a document without client_name or redirect_uris', async () => {
    const { client_name: _n, ...noName } = doc('/no-name.json');
    serveJson('/no-name.json', noName);
    expect(await refusal(`${base}/no-name.json`)).toBe('missing_client_name');
    const { redirect_uris: _r, ...noRedirects } = doc('/no-redirects.json');
    serveJson('/no-redirects.json', noRedirects);
    expect(await refusal(`${base}/no-redirects.json`)).toBe('invalid_redirect_uris');
  });

  it('matches redirect URIs exactly against the document', async () => {
    serveJson('/exact.json', doc('/exact.json'));
    const client = await resolve(`${base}/exact.json`);
    expect(redirectUriRegistered(client, 'http://127.0.0.1:33418/callback')).toBe(true);
    for (const uri of [
      'http://127.0.0.1:33418/callback/more',
      'http://127.0.0.1:33418/callback?x=1',
      'http://127.0.0.1:33419/callback',
      'http://localhost:33418/callback',
      'https://evil.example/callback',
    ]) {
      expect(redirectUriRegistered(client, uri)).toBe(false);
    }
  });

  it("passes the authorization endpoint's checks as a public client, its redirect URIs compared exactly", async () => {
    const resource = 'https://mcp.notes.test/mcp';
    expect(
      (
        await gh.api('POST', `/v1/orgs/${org.id}/resources`, {
          token: admin,
          body: { identifier: resource, name: 'Notes', scopes: [{ name: 'notes:read', description: 'Read notes' }] },
        })
      ).status,
    ).toBe(201);
    serveJson(
      '/signin.json',
      doc('/signin.json', { logo_uri: 'http://insecure.example/logo.png', client_uri: 'https://agent.example' }),
    );
    const id = `${base}/signin.json`;
    const record = await gh.app.get(ClientResolver).clientRecord(id, org.id, meta);
    expect(record).toMatchObject({
      id,
      orgId: org.id,
      orgName: 'notes-co',
      audiences: [resource],
      scopes: ['notes:read', 'offline_access'],
      authMethod: 'none',
      signIn: {
        name: 'Notes agent',
        clientType: 'public',
        requirePkce: true,
        consent: 'required',
        passwordLogin: false,
        logoUri: null,
        clientUri: 'https://agent.example',
        selfRegistered: {
          source: 'metadata_document',
          redirectHosts: ['127.0.0.1:33418'],
          allRedirectsLoopback: true,
          documentHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        },
      },
    });
    const check = (redirectUri: string) =>
      checkAuthorizationRequest({
        params: FormParams.from([
          ['client_id', id],
          ['redirect_uri', redirectUri],
          ['response_type', 'code'],
          ['code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'],
          ['code_challenge_method', 'S256'],
          ['scope', 'notes:read offline_access'],
          ['resource', resource],
          ['state', 's'],
        ]),
        client: record,
        defaultAudience: gh.url,
        request: {},
      });
    expect(check('http://127.0.0.1:33418/callback')).toMatchObject({
      ok: true,
      request: { clientId: id, orgId: org.id, resource, scopes: ['notes:read', 'offline_access'] },
    });
    // A public app may use any loopback port (RFC 8252 §7.3); a self-registered client only its own.
    const otherPort = check('http://127.0.0.1:40000/callback');
    expect(otherPort.ok).toBe(false);
    expect(otherPort.ok ? null : [otherPort.failure.where, otherPort.failure.error]).toEqual([
      'page',
      'invalid_redirect_uri',
    ]);
  });

  it('refuses a domain the organization does not accept, and a blocked client, before fetching', async () => {
    serveJson('/policy.json', doc('/policy.json'));
    const id = `${base}/policy.json`;
    expect((await setPolicy(other.id, { policy: 'domains', domains: ['clients.example.com'] })).status).toBe(200);
    expect(await refusal(id, other.id)).toBe('domain_not_allowed');
    expect((await setPolicy(other.id, { policy: 'off' })).status).toBe(200);
    expect(await refusal(id, other.id)).toBe('policy_off');
    expect(hits.get('/policy.json')).toBeUndefined();

    const blocked = await gh.api('POST', `/v1/orgs/${org.id}/client-registration/clients/block`, {
      token: admin,
      body: { client_id: id },
    });
    expect(blocked.status).toBe(200);
    expect(blocked.body).toMatchObject({ client_id: id, blocked_at: expect.any(String) });
    expect(await refusal(id)).toBe('blocked');
    expect(hits.get('/policy.json')).toBeUndefined();
    const unblocked = await gh.api('POST', `/v1/orgs/${org.id}/client-registration/clients/unblock`, {
      token: admin,
      body: { client_id: id },
    });
    expect(unblocked.body.blocked_at).toBeNull();
    expect(await refusal(id)).toBe('resolved');
    expect(
      (
        await gh.sql(
          `SELECT action FROM audit_events WHERE action IN ('client.blocked', 'client.unblocked') ORDER BY occurred_at`,
        )
      ).map((r) => r.action),
    ).toEqual(['client.blocked', 'client.unblocked']);
    // Another org's admin API does not reach it; a malformed client_id is a validation error.
    expect(
      (
        await gh.api('POST', `/v1/orgs/${org.id}/client-registration/clients/block`, {
          token: admin,
          body: { client_id: 'javascript:alert(1)' },
        })
      ).body.code,
    ).toBe('validation_failed');
  });

  it('refuses a secret-based client, a malformed URL and a sign-in without an organization', async () => {
    serveJson('/secret.json', doc('/secret.json', { token_endpoint_auth_method: 'client_secret_basic' }));
    expect(await refusal(`${base}/secret.json`)).toBe('auth_method_not_allowed');
    expect(await refusal(`${base}/a/../b.json`)).toBe('invalid_client_id_url');
    expect(await refusal(`${base}/x.json#frag`)).toBe('invalid_client_id_url');
    expect(await refusal(`${base}/exact.json`, null)).toBe('unknown_client');
  });

  it('never caches a failure as a document, and leaves a failing URL alone for its cooldown', async () => {
    routes.set('/flaky.json', (_req, res) => res.writeHead(500).end());
    expect(await refusal(`${base}/flaky.json`)).toBe('http_status');
    serveJson('/flaky.json', doc('/flaky.json'));
    expect(await refusal(`${base}/flaky.json`)).toBe('http_status');
    expect(hits.get('/flaky.json')).toBe(1);
    // One audit row for the failure, not one per caller turned away during the cooldown.
    expect(await audits(`${base}/flaky.json`)).toHaveLength(1);
  });

  it('answers a resolved client or a ClientRefused, never anything else, whatever the server sends', async () => {
    const MARK = 'leak-marker-7f3a';
    const answer = fc.record({
      status: fc.constantFrom(200, 200, 200, 201, 204, 301, 307, 304, 404, 500),
      body: fc.oneof(
        fc.record({
          client_id: fc.constantFrom('self', 'other', 'upper', 'none'),
          client_name: fc.oneof(fc.string({ maxLength: 30 }), fc.constant(MARK), fc.integer(), fc.constant(undefined)),
          redirect_uris: fc.oneof(
            fc.array(
              fc.constantFrom('http://127.0.0.1:1/cb', 'https://a.example/cb', 'javascript:x', MARK, 'x:/y', ''),
              { maxLength: 3 },
            ),
            fc.constant(MARK),
            fc.constant(undefined),
          ),
          token_endpoint_auth_method: fc.constantFrom(undefined, 'none', 'private_key_jwt', 'client_secret_post', 7),
          grant_types: fc.constantFrom(undefined, ['authorization_code'], ['implicit'], 'code'),
          __proto__: fc.constantFrom(undefined, { polluted: true }),
        }),
        fc.string({ maxLength: 200 }).map((t) => `${MARK}${t}`),
        fc.constantFrom('{', '[]', 'null', '"x"', '{"client_id":', '\u0000', MARK.repeat(400)),
      ),
      headers: fc.record({
        'cache-control': fc.constantFrom(
          undefined,
          'max-age=abc',
          'no-store',
          'max-age=99999999999',
          'private, max-age=-1',
        ),
        etag: fc.constantFrom(undefined, '"e"', 'W/"x"', ''),
        'content-length': fc.constantFrom(undefined, '999999'),
        'content-type': fc.constantFrom('application/json', 'text/html', undefined),
      }),
    });
    const samples = fc.sample(answer, { seed: 23_2026, numRuns: 120 });
    const unexpected: string[] = [];
    for (const [i, a] of samples.entries()) {
      const path = `/fz/${i}.json`;
      const id = `${base}${path}`;
      let body: string;
      if (typeof a.body === 'string') body = a.body;
      else {
        const cid = { self: id, other: `${base}/fz/x.json`, upper: id.toUpperCase(), none: undefined }[
          a.body.client_id
        ];
        body = JSON.stringify({ ...a.body, client_id: cid });
      }
      routes.set(path, (_req, res) => {
        const headers = Object.fromEntries(Object.entries(a.headers).filter(([, v]) => v !== undefined)) as Record<
          string,
          string
        >;
        if (headers['content-length']) res.writeHead(a.status, headers).end();
        else res.writeHead(a.status, headers).end(a.status === 204 || a.status === 304 ? undefined : body);
      });
      try {
        const client = await resolve(id);
        if (client.clientId !== id || client.redirectUris.length === 0 || typeof client.displayName !== 'string') {
          unexpected.push(`#${i}: resolved a bad client ${JSON.stringify(client)}`);
        }
      } catch (e) {
        if (!(e instanceof ClientRefused)) unexpected.push(`#${i}: ${String(e)}`);
        else if (e.message.includes(MARK)) unexpected.push(`#${i}: the refusal quotes the body`);
      }
    }
    expect(unexpected).toEqual([]);
    const rows = await gh.sql<{ details: unknown }>(
      `SELECT details FROM audit_events WHERE action = 'client.metadata_document.fetched' AND outcome = 'failure'`,
    );
    expect(JSON.stringify(rows)).not.toContain(MARK);
  });
});
