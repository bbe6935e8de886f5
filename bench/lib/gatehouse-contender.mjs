// Gatehouse under test in `npm run bench`: the compiled server of a checkout (this one, or
// an A/B worktree) with every production feature on — an audit row committed before each
// answer, the Redis limiter consulted on every request (the app's limit raised so that it
// never refuses), the access gate, client authentication by keyed hash — on a fresh
// database of its own, one worker (GATEHOUSE_WORKERS, default 1).
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { generate } from 'otplib';
import { monotonicFactory } from 'ulid';
import { Browser, codeFromSession, hostedSignIn, pkce, redemptionBody, request } from './browser-flows.mjs';
import { commOf, processTree } from './cpu.mjs';
import { createDatabase, freePort, queryOn, sleep } from './services.mjs';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function waitReady(child, url, stderr) {
  for (let i = 0; i < 480; i++) {
    if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) return;
    if (child.exitCode !== null) throw new Error(`Gatehouse exited: ${stderr()}`);
    await sleep(250);
  }
  throw new Error(`Gatehouse did not become ready: ${stderr()}`);
}

/**
 * @param {{ label: string, root: string, serverUrl?: string, redis?: { url: string, pid: number } | null,
 *           rounds: number, connections: number, workers?: number, gateOff?: boolean, env?: Record<string, string> }} o
 *   gateOff: the same build with an allow-everything access gate (bench/gate-off-server.mjs),
 *   client credentials only — the "gate off" side of docs/performance.md#the-access-gate-on-versus-off.
 */
export async function startGatehouse(o) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const db = o.serverUrl ? await createDatabase(o.serverUrl) : null;
  const dataDir = db ? null : mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(port),
    GATEHOUSE_WORKERS: String(o.workers ?? 1),
    LOG_LEVEL: 'warn',
    // Sign-in is not measured; the bench signs users in to seed refresh tokens, from
    // addresses of their own (X-Forwarded-For) so the per-address sign-in limit never trips.
    GATEHOUSE_BCRYPT_COST: '10',
    GATEHOUSE_TRUST_PROXY: 'true',
    ...(db ? { DATABASE_URL: db.url, GATEHOUSE_KEK: randomBytes(32).toString('base64') } : { GATEHOUSE_DATA_DIR: dataDir }),
    ...(o.redis ? { REDIS_URL: o.redis.url, GATEHOUSE_REDIS_PREFIX: `gh:bench:${randomBytes(3).toString('hex')}:` } : {}),
    ...(o.env ?? {}),
  };
  // e.g. BENCH_GATEHOUSE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" for a profile of the server.
  const nodeArgs = (process.env.BENCH_GATEHOUSE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const entry = o.gateOff ? join(import.meta.dirname, '..', 'gate-off-server.mjs') : join(o.root, 'dist/apps/gatehouse/src/main.js');
  const child = spawn(process.execPath, [...nodeArgs, entry], { env: { ...env, ...(o.gateOff ? { GATEHOUSE_ROOT: o.root } : {}) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
    }
    await db?.drop().catch(() => undefined);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitReady(child, url, () => stderr);
    const database = db ?? embeddedDatabase(dataDir);
    const fixture = await setUp({ ...o, db: database }, url, env);
    return contender(o, { url, db: database, child, fixture, stop });
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The embedded PostgreSQL Gatehouse started in `dataDir` (apps/gatehouse/src/runtime.ts starts it in `<dataDir>/postgres`, which records its port). */
function embeddedDatabase(dataDir) {
  const { port } = JSON.parse(readFileSync(join(dataDir, 'postgres', 'postgres.json'), 'utf8'));
  return { name: 'gatehouse', embedded: true, query: queryOn(`postgresql://gatehouse:gatehouse-embedded@127.0.0.1:${port}/gatehouse`) };
}

async function setUp(o, url, env) {
  const email = `bench-${randomBytes(3).toString('hex')}@example.test`;
  const password = `Bench-Password-${randomBytes(4).toString('hex')}-1`;
  const cli = spawnSync(process.execPath, [join(o.root, 'bin/gatehouse.js'), 'admin', 'create', '--email', email, '--password', password, '--platform', '--json'], { env, encoding: 'utf8' });
  if (cli.status !== 0) throw new Error(`gatehouse admin create: ${cli.stderr}`);
  const admin = JSON.parse(cli.stdout);
  let ip = 0;
  const call = async (path, body, token) => {
    const r = await fetch(url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.9.${(ip >> 8) & 255}.${ip++ & 255}`, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    const json = await r.json();
    if (!r.ok) throw new Error(`${path}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  };
  const { mfa_token } = await call('/v1/admin/login', { email, password });
  const { access_token } = await call('/v1/admin/login/mfa', { mfa_token, code: await generate({ secret: admin.mfa.secret }) });
  const org = await call('/v1/orgs', { name: `bench-${randomBytes(3).toString('hex')}`, display_name: 'Bench' }, access_token);
  const app = await call(
    `/v1/orgs/${org.id}/apps`,
    // password_login: the refresh pools below are seeded through the API sign-in (POST …/users/login).
    { name: 'bench', scopes: ['bench:read'], token_rate_limit: { requests: 1_000_000, per_seconds: 60 }, password_login: true },
    access_token,
  );
  // Token exchange (docs/architecture.md#token-exchange), where the build has it: the app narrows its own token for a step.
  const exchange = await fetch(`${url}/v1/orgs/${org.id}/apps/${app.client_id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${access_token}` },
    body: JSON.stringify({ grant_types: ['client_credentials', 'refresh_token', 'urn:ietf:params:oauth:grant-type:token-exchange'] }),
  });
  app.exchange = exchange.ok;
  // One refresh-token pool per round (a run spends its chains): one sign-in per connection
  // and round, each user signing in at most `rounds` times (the per-account limit is 10).
  const userPassword = `User-Password-${randomBytes(4).toString('hex')}-1`;
  const users = [];
  const userIds = [];
  for (let i = 0; i < o.connections; i++) {
    const u = `user${i}-${randomBytes(2).toString('hex')}@example.test`;
    userIds.push((await call(`/v1/orgs/${org.id}/users`, { email: u, password: userPassword }, access_token)).id);
    users.push(u);
  }
  const pools = [];
  for (let r = 0; r < o.rounds; r++) {
    const pool = [];
    for (const u of users) pool.push((await call(`/v1/orgs/${org.id}/users/login`, { client_id: app.client_id, email: u, password: userPassword })).refresh_token);
    pools.push(pool);
  }
  const web = o.gateOff ? null : await webApp({ url, call, org, admin: access_token, db: o.db, userPassword, userId: userIds[0] });
  return { app, pools, userIds, web };
}

const CALLBACK = 'https://bench.example/cb';
/** Users for the hosted sign-in scenario: each signs in at most a few times within the per-account limit's window (10 in 300 s). */
const SIGN_IN_USERS = Number(process.env.BENCH_SIGN_IN_USERS ?? 500);

/**
 * The browser side (docs/sign-in.md): a first-party web app (no consent page) with the
 * authorization code grant, SIGN_IN_USERS people to sign in with it — copies of one user made
 * through the API, inserted by SQL with the same bcrypt hash, since creating each through the
 * API would cost a bcrypt hash apiece — and a browser session of the first user, from which
 * codes are minted without a page (SSO).
 */
async function webApp({ url, call, org, admin, db, userPassword, userId }) {
  const web = await call(
    `/v1/orgs/${org.id}/apps`,
    {
      name: 'bench-web',
      scopes: ['bench:read'],
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [CALLBACK],
      consent: 'first_party',
      token_ttl_s: 3600,
      token_rate_limit: { requests: 1_000_000, per_seconds: 60 },
      rate_limit: { requests: 1_000_000, per_seconds: 60 },
    },
    admin,
  ).catch((err) => (/40[0-9]/.test(err.message) ? null : Promise.reject(err)));
  if (!web) return null; // a build without browser sign-in
  const ulid = monotonicFactory();
  const ids = Array.from({ length: SIGN_IN_USERS }, () => `usr_${ulid()}`);
  const emails = ids.map((_, i) => `signin${i}-${randomBytes(2).toString('hex')}@example.test`);
  await db.query(
    `INSERT INTO users (id, org_id, email, password_hash, email_verified)
     SELECT u.id, src.org_id, u.email, src.password_hash, true
       FROM unnest($1::text[], $2::text[]) AS u(id, email), users src WHERE src.id = $3`,
    [ids, emails, userId],
  );
  const [{ hash }] = await db.query('SELECT password_hash AS hash FROM users WHERE id = $1', [userId]);
  const { verifier, challenge } = pkce();
  const flow = { url, clientId: web.client_id, redirectUri: CALLBACK, challenge };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const session = new Browser(agent, '10.8.0.1', CALLBACK);
  const code = await hostedSignIn(session, { ...flow, email: emails[0], password: userPassword });
  if (!code) throw new Error('bench: the hosted sign-in of the web app returned no code');
  return { app: web, emails, password: userPassword, verifier, flow, agent, session, firstCode: code, hash };
}

function contender(o, { url, db, child, fixture, stop }) {
  const { app, pools, userIds, web } = fixture;
  // AuthZEN: the app, as a PEP, asks whether one of its org's users may read a document.
  const evaluation = () => ({
    url: `${url}/access/v1/evaluation`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: headers.authorization },
    body: JSON.stringify({ subject: { type: 'user', id: userIds[0] }, action: { name: 'read' }, resource: { type: 'document', id: 'doc-1' } }),
  });
  const headers = { ...FORM, authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}` };
  const tokenPromise = fetch(`${url}/oauth/token`, { method: 'POST', headers, body: 'grant_type=client_credentials' }).then((r) => r.json());
  let introspected = null;
  const auditRows = async () => {
    if (!db) return null;
    const [r] = await db.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'token.issued' AND actor_id = $1`, [app.client_id]);
    return r.n;
  };
  return {
    name: o.label,
    url,
    db,
    async prepare() {
      introspected ??= (await tokenPromise).access_token;
    },
    scenarios: o.gateOff ? { cc: () => ({ url: `${url}/oauth/token`, method: 'POST', body: 'grant_type=client_credentials', headers }) } : {
      cc: () => ({ url: `${url}/oauth/token`, method: 'POST', body: 'grant_type=client_credentials', headers }),
      // RFC 9449: the same request with a fresh DPoP proof each time; the token comes back bound (one more
      // signature verification and one replay-cache write per token). Older builds answer Bearer tokens.
      dpop: () => ({ url: `${url}/oauth/token`, method: 'POST', body: 'grant_type=client_credentials', headers, fresh: dpopProofs(`${url}/oauth/token`) }),
      refresh: (round) => ({ opts: { url: `${url}/oauth/token`, headers }, pool: pools[round], body: (rt) => `grant_type=refresh_token&refresh_token=${rt}` }),
      introspect: () => ({ url: `${url}/oauth/introspect`, method: 'POST', headers, body: `token=${introspected}` }),
      jwks: () => ({ url: `${url}/.well-known/jwks.json` }),
      // RFC 8693: the app exchanges its own client-credentials token for a step token.
      exchange: app.exchange
        ? () => ({
            url: `${url}/oauth/token`,
            method: 'POST',
            headers,
            body: `grant_type=urn:ietf:params:oauth:grant-type:token-exchange&subject_token=${introspected}&subject_token_type=urn:ietf:params:oauth:token-type:access_token&step=bench`,
          })
        : null,
      ...(web ? browserScenarios(url, web) : {}),
      evaluation,
      // The same decision at a fixed rate (BENCH_DECISION_RATE, default 1,000/s): its latency without the queueing of a saturated run.
      'evaluation-paced': () => ({ ...evaluation(), paced: true, rate: Number(process.env.BENCH_DECISION_RATE ?? 1000) }),
    },
    async roles() {
      const tree = processTree(child.pid);
      const embeddedPg = tree.filter((p) => commOf(p)?.startsWith('postgres'));
      return {
        server: tree.filter((p) => !embeddedPg.includes(p)),
        postgres: db.embedded ? embeddedPg : await db.backendPids(),
        redis: o.redis ? [o.redis.pid] : [],
      };
    },
    auditRows,
    async chainHead() {
      if (!db) return null;
      const [r] = await db.query(`SELECT coalesce(max(chain_seq), 0)::bigint AS head FROM audit_events`);
      return Number(r.head);
    },
    /** Rows and transactions of token.issued written since `afterSeq` (rows per group-commit flush). */
    async auditFlushes(afterSeq) {
      if (!db) return null;
      const [r] = await db.query(
        `SELECT count(*)::int AS rows, count(DISTINCT xmin::text)::int AS flushes
           FROM audit_events WHERE chain_seq > $1 AND action = 'token.issued'`,
        [afterSeq],
      );
      return { rows: r.rows, flushes: r.flushes };
    },
    stop: async () => {
      web?.agent.destroy();
      await stop();
    },
  };
}

/**
 * The scenarios of the browser side (docs/performance.md#how-the-bench-measures): a scenario
 * may be async (made just before its run, outside its CPU count) and take the round and the
 * client-credentials rate just measured in it.
 */
function browserScenarios(url, web) {
  const basic = `Basic ${Buffer.from(`${web.app.client_id}:${web.app.client_secret}`).toString('base64')}`;
  const tokenHeaders = { ...FORM, authorization: basic };
  const redeem = async (code) => {
    const res = await request(web.agent, `${url}/oauth/token`, { method: 'POST', headers: tokenHeaders, body: redemptionBody(code, web.flow.redirectUri, web.verifier) });
    return res.status === 200 ? JSON.parse(res.body) : null;
  };
  const mint = () => codeFromSession(web.session, web.flow);
  let next = 0;
  let address = 0;
  return {
    // RFC 6749 §4.1.3 with PKCE: one code a request, from a pool minted from the session just
    // before the run, sized to ~0.6 × what client credentials did in the round. Codes live 60 s:
    // minting stops after 20 s whatever the pool's size, and the oldest are redeemed first.
    code: async (round, ccRps) => {
      const want = Math.min(40_000, Math.max(1_000, Math.round((ccRps ?? 1_000) * Number(process.env.BENCH_SECONDS ?? 10) * 0.6)));
      const pool = [];
      const until = Date.now() + 20_000;
      // A busy machine may answer an authorization 503 (its 3 s request deadline): retried, and
      // counted; only a session that mints nothing at all stops the bench.
      let failed = 0;
      let last = '';
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (pool.length < want && Date.now() < until) {
            const code = await mint();
            if (typeof code === 'string') pool.push(code);
            else (failed++, (last = code?.failed ?? 'no code'));
          }
        }),
      );
      if (pool.length === 0) throw new Error(`bench: the session minted no code (${failed} tries; last: ${last})`);
      if (failed) process.stderr.write(`[bench] code pool: ${pool.length} codes, ${failed} authorizations refused (last: ${last.slice(0, 80)})\n`);
      let taken = 0;
      return { loop: async () => (taken < pool.length ? (await redeem(pool[taken++])) !== null : null) };
    },
    // OpenID Connect Core §5.3: the userinfo call with a user's access token (openid profile email), fresh each round.
    userinfo: async () => {
      let code = await mint();
      for (let i = 0; i < 20 && typeof code !== 'string'; i++) code = await mint();
      if (typeof code !== 'string') throw new Error(`bench: no code for userinfo: ${code?.failed}`);
      const tokens = await redeem(code);
      if (!tokens) throw new Error('bench: no user token for userinfo');
      return { url: `${url}/oauth/userinfo`, headers: { authorization: `Bearer ${tokens.access_token}` } };
    },
    // A person signs in at the hosted pages (authorize, identify, password, the redirect back)
    // and the app redeems the code: one new browser (no cookies, an address of its own) a pass.
    signin: () => ({
      loop: async () => {
        const n = next++;
        address++;
        const browser = new Browser(web.agent, `10.7.${(address >> 8) & 255}.${address & 255}`, web.flow.redirectUri);
        const code = await hostedSignIn(browser, { ...web.flow, email: web.emails[n % web.emails.length], password: web.password });
        return code !== null && (await redeem(code)) !== null;
      },
      bcryptHash: web.hash,
    }),
  };
}

/** A maker of DPoP proofs (ES256, one key per run) for POST `htu`: a new jti and iat every call. */
function dpopProofs(htu) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  const header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } })).toString('base64url');
  return () => {
    const payload = Buffer.from(JSON.stringify({ jti: randomUUID(), htm: 'POST', htu, iat: Math.floor(Date.now() / 1000) })).toString('base64url');
    const input = `${header}.${payload}`;
    const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    return { dpop: `${input}.${signature}` };
  };
}
