import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { startGatehouseProcess, type GatehouseProcess } from './support/fault-harness';
import { assertionClaims, signJwt, testKey } from './support/jose-keys';
import { makeTestCa } from './support/test-ca';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * docs/client-registration.md#fetching: an operator adds a CA for the guarded fetcher (client
 * metadata documents, `jwks_uri`) with Node's standard NODE_EXTRA_CA_CERTS. A Gatehouse process
 * (dist/, as an operator runs it) started with the test CA fetches a `jwks_uri` from an https
 * server on loopback whose certificate that CA signed, and refuses one signed by another CA;
 * an instance without it refuses both.
 */
describe('outbound https trusts the CA given with NODE_EXTRA_CA_CERTS', () => {
  let gh: TestGatehouse;
  let proc: GatehouseProcess;
  let dir: string;
  const servers: Server[] = [];
  const key = testKey('ES256', 'tls-1');
  const apps: Record<'trusted' | 'untrusted', string> = { trusted: '', untrusted: '' };

  const serveJwks = async (cert: { certPem: string; keyPem: string }) => {
    const s = createServer({ cert: cert.certPem, key: cert.keyPem }, (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [key.publicJwk] })),
    );
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    servers.push(s);
    return `https://127.0.0.1:${(s.address() as { port: number }).port}/jwks.json`;
  };
  const token = (base: string, clientId: string) =>
    fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: signJwt(key, assertionClaims(clientId, gh.url)),
      }).toString(),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, string> }));

  beforeAll(async () => {
    const ca = makeTestCa();
    const otherCa = makeTestCa();
    dir = mkdtempSync(join(tmpdir(), 'gh-extra-ca-'));
    writeFileSync(join(dir, 'ca.pem'), ca.caPem);
    const trustedUrl = await serveJwks(ca);
    const untrustedUrl = await serveJwks(otherCa);

    gh = await startGatehouse({ env: { GATEHOUSE_CIMD_ALLOW_LOOPBACK: 'true' } });
    const admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    const org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'tls', display_name: 'TLS' } })).body;
    for (const [name, url] of [
      ['trusted', trustedUrl],
      ['untrusted', untrustedUrl],
    ] as const) {
      const app = await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        token: admin,
        body: { name, scopes: ['reports:read'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: url },
      });
      expect(app.status).toBe(201);
      apps[name] = app.body.client_id;
    }
    const port = await freePort();
    proc = await startGatehouseProcess({
      ...gh.env,
      PORT: String(port),
      GATEHOUSE_WORKERS: '1',
      NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'),
    });
  });
  afterAll(async () => {
    if (proc && proc.proc.exitCode === null) {
      proc.proc.kill('SIGTERM');
      await proc.exited;
    }
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
    await gh?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the process started with the CA fetches from a server it signed', async () => {
    const res = await token(proc.url, apps.trusted);
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('Bearer');
  });

  it('and refuses a server another CA signed', async () => {
    expect(await token(proc.url, apps.untrusted)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  it('an instance without the CA refuses both', async () => {
    expect((await token(gh.url, apps.trusted)).status).toBe(401);
    expect((await token(gh.url, apps.untrusted)).status).toBe(401);
    const [row] = await gh.sql<{ reason: string }>(
      `SELECT reason FROM audit_events WHERE action = 'client.authentication_failed' AND target_id = $1`,
      [apps.trusted],
    );
    expect(row?.reason).toMatch(/network_error/);
  });
});
