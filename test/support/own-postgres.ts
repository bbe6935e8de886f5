import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './gatehouse';

/**
 * A private PostgreSQL on a spare loopback port with its own data directory, so a fault
 * test can stop it, kill it or freeze it (SIGSTOP) without touching the shared server.
 * Uses the machine's PostgreSQL binaries (Debian's /usr/lib/postgresql/<v>/bin); as root it
 * runs the server as the `postgres` OS user, which PostgreSQL requires.
 */
export interface OwnPostgres {
  /** Server URL (database `postgres`); pass to startGatehouse({ pgServer }). */
  url: string;
  port: number;
  /** Immediate shutdown (SIGQUIT): no checkpoint, clients see their connections die. */
  stopImmediate: () => Promise<void>;
  start: () => Promise<void>;
  /** SIGSTOP the postmaster and every backend: connections stay open and nothing answers. */
  hang: () => void;
  resume: () => void;
  destroy: () => Promise<void>;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'postgres'))) return join(root, v, 'bin');
  throw new Error('no PostgreSQL binaries under /usr/lib/postgresql');
}

function osUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres']).stdout.toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Child pids of `pid` (the backends of a postmaster), read from /proc. */
function children(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = binDir();
  const user = osUser();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-fault-pg-'));
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  if (user) chownSync(dir, user.uid, user.gid);
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8'], {
    ...(user ?? {}),
    encoding: 'utf8',
  });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  let proc: ChildProcess | null = null;

  const ready = async () => {
    for (let i = 0; i < 200; i++) {
      const c = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
      try {
        await c.connect();
        await c.query('SELECT 1');
        await c.end();
        return;
      } catch {
        await c.end().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error(`PostgreSQL did not start on port ${port}`);
  };

  const own: OwnPostgres = {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: async () => {
      proc = spawn(
        join(bin, 'postgres'),
        [
          '-D',
          data,
          '-p',
          String(port),
          '-k',
          dir,
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          'fsync=off',
          '-c',
          'max_connections=200',
        ],
        { ...(user ?? {}), stdio: 'ignore' },
      );
      await ready();
    },
    stopImmediate: async () => {
      const p = proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      own.resume();
      p.kill('SIGQUIT');
      await exited;
    },
    hang: () => {
      if (!proc?.pid) return;
      signal(proc.pid, 'SIGSTOP');
      for (const c of children(proc.pid)) signal(c, 'SIGSTOP');
    },
    resume: () => {
      if (!proc?.pid) return;
      for (const c of children(proc.pid)) signal(c, 'SIGCONT');
      signal(proc.pid, 'SIGCONT');
    },
    destroy: async () => {
      await own.stopImmediate();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await own.start();
  return own;
}

/** A backend may exit between being listed and being signalled: that is not an error. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
