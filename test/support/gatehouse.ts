import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig, type Clock } from '@gatehouse/core';
import { createTestDatabase, type TestDatabase } from '@gatehouse/db';
import type { AccessGate } from '@gatehouse/tokens';
import { generate } from 'otplib';
import { Client } from 'pg';
import { createGatehouseApp, restoreAppLogger } from '../../apps/gatehouse/src/bootstrap';
import { runCli } from '../../apps/gatehouse/src/cli/cli';
import { prepareRuntime, type Runtime } from '../../apps/gatehouse/src/runtime';

/**
 * One real Gatehouse per test file: its own database on the test server, its own KEK and
 * Redis prefix, listening on a free loopback port, with every log line captured.
 */
export interface TestGatehouse {
  url: string;
  env: Record<string, string>;
  logs: string[];
  db: TestDatabase;
  app: NestFastifyApplication;
  runtime: Runtime;
  api: (method: string, path: string, opts?: RequestOptions) => Promise<ApiResponse>;
  sql: <T = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<T[]>;
  close: () => Promise<void>;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are whatever JSON the API sent
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export interface ClientCredentials {
  client_id: string;
  client_secret: string;
}

/**
 * A form-encoded POST authenticated with client_secret_basic: /oauth/token, /oauth/revoke,
 * /oauth/introspect.
 */
export function clientPost(
  baseUrl: string,
  client: ClientCredentials,
  path: string,
  params: Record<string, string>,
): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
    },
    body: new URLSearchParams(params).toString(),
  });
}

/** JSON-over-HTTP helper for one Gatehouse base URL. */
export function apiClient(url: string) {
  return async (method: string, path: string, o: RequestOptions = {}): Promise<ApiResponse> => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined = o.rawBody;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(url + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
}

export function hasRedis(): boolean {
  return Boolean(process.env.REDIS_URL);
}

export async function startGatehouse(
  opts: {
    redis?: boolean;
    env?: Record<string, string>;
    clock?: Clock;
    accessGate?: AccessGate;
    /** Trust anchors for the guarded fetcher's https (test/support/test-ca.ts). */
    outboundCa?: string[];
    /** A PostgreSQL server of the test's own, one it will stop (test/support/own-postgres.ts). */
    pgServer?: string;
  } = {},
): Promise<TestGatehouse> {
  const server = opts.pgServer ?? process.env.GATEHOUSE_TEST_PG_URL;
  if (!server) throw new Error('GATEHOUSE_TEST_PG_URL is not set: run the tests through jest (global setup)');
  const db = await createTestDatabase(server);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    GATEHOUSE_KEK: randomBytes(32).toString('base64'),
    GATEHOUSE_ISSUER: url,
    GATEHOUSE_BCRYPT_COST: '10',
    GATEHOUSE_REDIS_PREFIX: `gh:test:${randomBytes(6).toString('hex')}:`,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    // With no SMTP server, mail is written here (docs/sign-in-experience.md#mail), never into the work tree.
    GATEHOUSE_MAIL_DIR: mkdtempSync(join(tmpdir(), 'gh-mail-')),
    ...(opts.redis && process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    ...opts.env,
  };
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const runtime = await prepareRuntime(loadConfig(env));
  const app = await createGatehouseApp(runtime, {
    logStream,
    clock: opts.clock,
    accessGate: opts.accessGate,
    outboundCa: opts.outboundCa,
  });
  await app.listen({ port, host: '127.0.0.1' });

  const pg = new Client({ connectionString: db.url });
  pg.on('error', () => undefined); // a test may stop the server under it
  await pg.connect();

  const api = apiClient(url);

  return {
    url,
    env,
    logs,
    db,
    app,
    runtime,
    api,
    sql: async (text, params) => (await pg.query(text, params as unknown[])).rows,
    close: async () => {
      await pg.end().catch(() => undefined);
      await app.close();
      await runtime.stop();
      await db.drop();
    },
  };
}

export interface CliAdmin {
  id: string;
  email: string;
  role: 'platform' | 'org';
  org_ids: string[];
  password: string;
  /** Always present unless created with deferMfa. */
  mfa: { secret: string; otpauth_uri: string; recovery_codes: string[] };
}

let adminCounter = 0;

/** Creates an administrator through the real CLI entry point (in-process), as an operator would. */
export async function cliCreateAdmin(
  gh: TestGatehouse,
  opts: { platform?: boolean; orgIds?: string[]; email?: string; password?: string; deferMfa?: boolean } = {},
): Promise<CliAdmin> {
  const email = opts.email ?? `admin${++adminCounter}-${randomBytes(3).toString('hex')}@example.test`;
  const password = opts.password ?? `Correct-Horse-${randomBytes(4).toString('hex')}-9`;
  const args = ['admin', 'create', '--email', email, '--password', password, '--json'];
  if (opts.platform !== false) args.push('--platform');
  for (const org of opts.orgIds ?? []) args.push('--org', org);
  if (opts.deferMfa) args.push('--defer-mfa');
  if (opts.orgIds?.length) args.splice(args.indexOf('--platform'), args.includes('--platform') ? 1 : 0);
  const { code, out, err } = await runGatehouseCli(gh, args);
  if (code !== 0) throw new Error(`gatehouse admin create exited ${code}: ${err.join('\n')}`);
  return { ...(JSON.parse(out.join('\n')) as Omit<CliAdmin, 'password'>), password };
}

/** Runs the `gatehouse` command in-process against this instance's database. */
export async function runGatehouseCli(
  gh: TestGatehouse,
  args: string[],
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, gh.env, { out: (t) => out.push(t), err: (t) => err.push(t) });
  restoreAppLogger(gh.app);
  return { code, out, err };
}

/** The TOTP code for `secret`, `steps` time steps from now. */
export function totp(secret: string, steps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });
}

export interface AdminSession {
  access_token: string;
  refresh_token: string;
}

const lastStep = new Map<string, number>();

/**
 * Password + TOTP sign-in. A TOTP step is accepted once per admin, and only the steps
 * next to now are valid, so after a couple of sign-ins in the same 30 s this falls back
 * to one of the admin's recovery codes.
 */
export async function loginAdmin(gh: TestGatehouse, admin: CliAdmin): Promise<AdminSession> {
  const first = await gh.api('POST', '/v1/admin/login', { body: { email: admin.email, password: admin.password } });
  if (first.status !== 200) throw new Error(`login failed: ${first.status} ${first.text}`);
  const current = Math.floor(Date.now() / 30_000);
  const step = Math.max(current - 1, (lastStep.get(admin.id) ?? -Infinity) + 1);
  let code: string;
  if (step <= current + 1) {
    lastStep.set(admin.id, step);
    code = await generate({ secret: admin.mfa.secret, epoch: step * 30 + 1 });
  } else {
    const rc = admin.mfa.recovery_codes.shift();
    if (!rc) throw new Error('out of recovery codes');
    code = rc;
  }
  const second = await gh.api('POST', '/v1/admin/login/mfa', { body: { mfa_token: first.body.mfa_token, code } });
  if (second.status !== 200) throw new Error(`mfa failed: ${second.status} ${second.text}`);
  return second.body;
}
