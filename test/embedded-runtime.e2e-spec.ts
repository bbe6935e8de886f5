import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'otplib';
import { freePort } from './support/gatehouse';

/**
 * `npm start` with no environment, as a newcomer runs it: the compiled server on an
 * embedded PostgreSQL in its data dir, migrations applied, a KEK generated with mode 0600,
 * the in-process rate-limit store announced in one log line; the CLI run beside it finds
 * the running database instead of opening the same data dir; SIGINT stops both cleanly.
 * (Runs the build output: `npm test` builds first.)
 */
const root = join(__dirname, '..');
const main = join(root, 'dist/apps/gatehouse/src/main.js');
const bin = join(root, 'bin/gatehouse.js');

describe('embedded mode (npm start with no environment)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-embedded-'));
  let port: number;
  let server: ChildProcess;
  let env: NodeJS.ProcessEnv;
  const lines: string[] = [];

  beforeAll(async () => {
    if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build (npm test does)`);
    port = await freePort();
    // Only what a newcomer's shell has: no DATABASE_URL, REDIS_URL or GATEHOUSE_KEK.
    env = { PATH: process.env.PATH, HOME: process.env.HOME, GATEHOUSE_DATA_DIR: dataDir, PORT: String(port) };
    server = spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d) => lines.push(...String(d).split('\n').filter(Boolean)));
    server.stderr!.on('data', (d) => lines.push(...String(d).split('\n').filter(Boolean)));
    const deadline = Date.now() + 45_000;
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      // Ready, and the banner printed (it follows the last worker's listen).
      if (ok && lines.some((l) => l.includes('"urls"'))) break;
      if (Date.now() > deadline || server.exitCode !== null)
        throw new Error(`server did not start:\n${lines.join('\n')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  afterAll(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves on the embedded database and says which stores it uses', async () => {
    const ready = await (await fetch(`http://127.0.0.1:${port}/readyz`)).json();
    expect(ready).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'not_configured' } });
    const log = lines.join('\n');
    expect(log).toMatch(/embedded PostgreSQL started/);
    expect(log).toMatch(/applied \d+ migrations: 20261123000000_init … \d{14}_\w+/);
    expect(lines.filter((l) => l.includes('rate limits: in-process store'))).toHaveLength(1);
    // README "Quick start": npm scripts run on the Node 24 runtime installed from the registry
    // (node_modules/.bin/node), whatever the system Node is, and the server says which one.
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
    expect(log).toContain(`Node ${process.version}`);
    expect(statSync(join(dataDir, 'kek')).mode & 0o777).toBe(0o600);
    const jwks = (await (await fetch(`http://127.0.0.1:${port}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
    expect(jwks.keys).toHaveLength(2); // the current key and the next one, published ahead
  });

  it('starts quietly: one banner with the URLs and the first-administrator command, early (docs/reliability.md#logs)', async () => {
    // Not a terminal: JSON, one object a line.
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.some((r) => r.context === 'RouterExplorer' || r.context === 'InstanceLoader')).toBe(false);
    expect(lines.some((l) => l.includes('Server listening at'))).toBe(false);
    const banners = records.filter((r) => r.urls);
    expect(banners).toHaveLength(1);
    const banner = banners[0]!;
    const base = `http://127.0.0.1:${port}`;
    expect(banner.urls).toEqual({
      api: base,
      console: `${base}/console`,
      docs: `${base}/docs`,
      discovery: `${base}/.well-known/openid-configuration`,
    });
    expect(banner.msg).toContain(`Node ${process.version}`);
    expect(banner.first_admin_command).toBe(
      `GATEHOUSE_DATA_DIR=${dataDir} npm run gatehouse -- admin create --email you@example.com --password '<12+ characters>' --platform`,
    );
    // `npm start` prints 4 lines of its own before these: the banner ends within the first 15
    // (lines of this test's own /readyz polls, which a newcomer does not make, left out).
    const startLines = records.filter((r) => !r.request_id);
    expect(startLines.indexOf(banner) + 4 + String(banner.msg).split('\n').length).toBeLessThanOrEqual(15);
    const { console: consoleUrl, docs, discovery } = banner.urls as Record<string, string>;
    for (const url of [consoleUrl!, docs!, discovery!])
      expect([url, (await fetch(url)).status < 400]).toEqual([url, true]);
  });

  it('the CLI beside it creates an admin in the same database, who can then sign in', async () => {
    const email = 'first-admin@example.test';
    const password = 'Embedded-Admin-Pass-1';
    const cli = spawnSync(
      process.execPath,
      [bin, 'admin', 'create', '--email', email, '--password', password, '--platform', '--json'],
      {
        env,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(cli.status).toBe(0);
    const admin = JSON.parse(cli.stdout);
    expect(admin.id).toMatch(/^adm_/);

    const url = `http://127.0.0.1:${port}`;
    const post = (path: string, body: unknown) =>
      fetch(url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const login = (await (await post('/v1/admin/login', { email, password })).json()) as { mfa_token: string };
    const tokens = (await (
      await post('/v1/admin/login/mfa', {
        mfa_token: login.mfa_token,
        code: await generate({ secret: admin.mfa.secret }),
      })
    ).json()) as { access_token: string };
    const me = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { id: string }).id).toBe(admin.id);
    // The CLI did not own the database: it is still up.
    expect(existsSync(join(dataDir, 'postgres', 'postgres.json'))).toBe(true);
  });

  it('SIGINT stops the server and its embedded PostgreSQL, removing the port record', async () => {
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGINT');
    expect(await exited).toBe(130); // 128 + SIGINT, after a clean shutdown
    expect(existsSync(join(dataDir, 'postgres', 'postgres.json'))).toBe(false);
    expect(readFileSync(join(dataDir, 'kek'), 'utf8').trim()).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });
});
