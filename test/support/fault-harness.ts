import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@gatehouse/db';
import { decodeJwt } from 'jose';
import { Client } from 'pg';
import { runCli } from '../../apps/gatehouse/src/cli/cli';
import { apiClient, freePort, loginAdmin, type CliAdmin, type TestGatehouse } from './gatehouse';
import { startOwnPostgres, type OwnPostgres } from './own-postgres';
import { startOwnRedis, type OwnRedis } from './redis-server';

/**
 * The fault suite's world (docs/reliability.md): its own PostgreSQL and Redis on
 * free loopback ports, and a multi-worker Gatehouse built into dist/ (`npm test` builds
 * first), started as an operator would (`node dist/apps/gatehouse/src/main.js`).
 */
export interface FaultWorld {
  pg: OwnPostgres;
  redis: OwnRedis;
  db: TestDatabase;
  gatehouse: GatehouseProcess;
  env: Record<string, string>;
  app: { client_id: string; client_secret: string; id: string };
  admin: string;
  sql: <T = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<T[]>;
  close: () => Promise<void>;
}

export interface GatehouseProcess {
  url: string;
  proc: ChildProcess;
  logs: string[];
  /** Worker pids (children of the primary), read from /proc. */
  workers: () => number[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const MAIN = join(__dirname, '../../dist/apps/gatehouse/src/main.js');

export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export async function startGatehouseProcess(env: Record<string, string>): Promise<GatehouseProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
  const proc = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  let buf = '';
  const take = (chunk: Buffer) => {
    buf += chunk.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    logs.push(...lines.filter(Boolean));
  };
  proc.stdout!.on('data', take);
  proc.stderr!.on('data', take);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${env.PORT}`;
  const workers = Number(env.GATEHOUSE_WORKERS ?? 1);
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`gatehouse exited ${proc.exitCode}: ${logs.slice(-5).join('\n')}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok && childPids(proc.pid!).length >= workers) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, proc, logs, workers: () => childPids(proc.pid!), exited };
}

export async function startFaultWorld(opts: { workers?: number } = {}): Promise<FaultWorld> {
  const [pg, redis] = await Promise.all([startOwnPostgres(), startOwnRedis()]);
  const db = await createTestDatabase(pg.url);
  const port = await freePort();
  const metricsPort = await freePort();
  const env: Record<string, string> = {
    GATEHOUSE_METRICS_PORT: String(metricsPort),
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    GATEHOUSE_KEK: randomBytes(32).toString('base64'),
    GATEHOUSE_ISSUER: `http://127.0.0.1:${port}`,
    GATEHOUSE_BCRYPT_COST: '10',
    GATEHOUSE_WORKERS: String(opts.workers ?? 2),
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
  };
  const gatehouse = await startGatehouseProcess(env);
  const out: string[] = [];
  const code = await runCli(
    ['admin', 'create', '--email', 'ops@example.test', '--password', 'Correct-Horse-Fault-9', '--platform', '--json'],
    env,
    { out: (t) => out.push(t), err: () => undefined },
  );
  if (code !== 0) throw new Error('admin create failed');
  const cliAdmin = { ...(JSON.parse(out.join('\n')) as CliAdmin), password: 'Correct-Horse-Fault-9' };
  const api = apiClient(gatehouse.url);
  const admin = (await loginAdmin({ api } as unknown as TestGatehouse, cliAdmin)).access_token;
  const org = (await api('POST', '/v1/orgs', { token: admin, body: { name: 'load', display_name: 'Load' } })).body;
  const app = (
    await api('POST', `/v1/orgs/${org.id}/apps`, {
      token: admin,
      body: {
        name: 'driver',
        scopes: ['load'],
        rate_limit: { requests: 1_000_000, per_seconds: 60 },
        token_rate_limit: { requests: 1_000_000, per_seconds: 60 },
      },
    })
  ).body;
  const sql = async <T>(text: string, params?: unknown[]) => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query(text, params)).rows as T[];
    } finally {
      await c.end();
    }
  };
  return {
    pg,
    redis,
    db,
    gatehouse,
    env,
    app,
    admin,
    sql,
    close: async () => {
      pg.resume();
      redis.resume();
      if (gatehouse.proc.exitCode === null && gatehouse.proc.signalCode === null) {
        gatehouse.proc.kill('SIGTERM');
        await Promise.race([gatehouse.exited, new Promise((r) => setTimeout(r, 15_000))]);
        if (gatehouse.proc.exitCode === null) gatehouse.proc.kill('SIGKILL');
      }
      await db.drop().catch(() => undefined);
      await redis.stop();
      redis.client.disconnect();
      await pg.destroy();
    },
  };
}

/** What one load run saw. */
export interface LoadReport {
  requests: number;
  statuses: Record<string, number>;
  /** jtis of tokens the client received. */
  received: Set<string>;
  /** Requests with no answer (aborted after the bound, or the connection failed). */
  unanswered: number;
  /** Answers while down that lacked Retry-After (503 without it, or any 5xx but 503). */
  badOutage: number;
  /** epoch ms of each 200, to find recovery. */
  okTimes: number[];
}

/**
 * Bounded load: `concurrency` loops of client-credentials token requests until `until()`;
 * each request is aborted after `boundMs` (a hang is an unanswered request, not a wait).
 */
export async function driveTokens(
  url: string,
  client: { client_id: string; client_secret: string },
  opts: { concurrency: number; until: () => boolean; boundMs?: number },
): Promise<LoadReport> {
  const report: LoadReport = {
    requests: 0,
    statuses: {},
    received: new Set(),
    unanswered: 0,
    badOutage: 0,
    okTimes: [],
  };
  const auth = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
  const loop = async () => {
    while (!opts.until()) {
      report.requests++;
      try {
        const res = await fetch(`${url}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth },
          body: 'grant_type=client_credentials',
          signal: AbortSignal.timeout(opts.boundMs ?? 10_000),
        });
        const text = await res.text();
        report.statuses[res.status] = (report.statuses[res.status] ?? 0) + 1;
        if (res.status === 200) {
          report.received.add(decodeJwt((JSON.parse(text) as { access_token: string }).access_token).jti!);
          report.okTimes.push(Date.now());
        } else if (res.status >= 500 && (res.status !== 503 || !res.headers.get('retry-after'))) {
          report.badOutage++;
        }
        if (res.status >= 500) await new Promise((r) => setTimeout(r, 50));
      } catch {
        report.unanswered++;
        report.statuses.unanswered = (report.statuses.unanswered ?? 0) + 1;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, loop));
  return report;
}

/**
 * docs/design.md §8 after the fact: every token a client received has its `token.issued`
 * row, and a row whose token no client received is either revoked as not delivered
 * (UndeliveredTokens) or belongs to a request whose answer the client did not wait for.
 */
export async function auditEquality(world: FaultWorld, report: LoadReport) {
  const rows = await world.sql<{ jti: string }>(
    `SELECT jti FROM audit_events WHERE action = 'token.issued' AND actor_id = $1`,
    [world.app.client_id],
  );
  const inAudit = new Set(rows.map((r) => r.jti));
  const revoked = new Set((await world.sql<{ jti: string }>(`SELECT jti FROM revoked_tokens`)).map((r) => r.jti));
  const missingRows = [...report.received].filter((j) => !inAudit.has(j));
  const unclaimed = [...inAudit].filter((j) => !report.received.has(j) && !revoked.has(j));
  const revokedUndelivered = [...inAudit].filter((j) => !report.received.has(j) && revoked.has(j)).length;
  return { received: report.received.size, auditRows: inAudit.size, missingRows, unclaimed, revokedUndelivered };
}

export async function auditVerify(world: FaultWorld): Promise<number> {
  return runCli(['audit', 'verify', '--json'], world.env, { out: () => undefined, err: () => undefined });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
