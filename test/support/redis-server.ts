import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './gatehouse';

/**
 * A private redis-server on a spare port, so a suite can flush, stop and restart Redis
 * without touching the shared one other suites use. Nothing is kept on disk: a restart
 * is a flush, as on the machines this is meant for.
 */
export interface OwnRedis {
  url: string;
  client: Redis;
  stop: () => Promise<void>;
  start: () => Promise<void>;
  /** SIGSTOP: the socket stays open and nothing answers (a hung Redis). */
  hang: () => void;
  resume: () => void;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let proc: ChildProcess | null = null;
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  const own: OwnRedis = {
    url: `redis://127.0.0.1:${port}`,
    client,
    start: async () => {
      proc = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: 'ignore',
        },
      );
      for (let i = 0; i < 100; i++) {
        if (
          await client.ping().then(
            () => true,
            () => false,
          )
        )
          return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`redis-server did not start on port ${port}`);
    },
    hang: () => {
      if (proc?.pid) process.kill(proc.pid, 'SIGSTOP');
    },
    resume: () => {
      if (proc?.pid) process.kill(proc.pid, 'SIGCONT');
    },
    stop: async () => {
      const p = proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGCONT');
      p.kill('SIGKILL');
      await exited;
    },
  };
  await own.start();
  return own;
}
