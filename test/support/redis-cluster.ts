import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';

/**
 * A Redis Cluster of the suite's own: `n` masters (redis-server --cluster-enabled yes) on
 * free loopback ports, each with its own directory, joined by `redis-cli --cluster create`.
 * `cluster-require-full-coverage no` keeps the slots of live nodes served while one node is
 * down, as a production cluster without replicas for that shard would.
 */
export interface OwnRedisCluster {
  /** `127.0.0.1:<port>` of each node, as REDIS_CLUSTER_NODES takes them. */
  nodes: string[];
  client: Cluster;
  /** The node serving `key`'s slot. */
  nodeOf: (key: string) => Promise<string>;
  stopNode: (node: string) => Promise<void>;
  stop: () => Promise<void>;
}

/** True when this machine can start a cluster of its own (redis-server and redis-cli installed). */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0 && spawnSync('redis-cli', ['--version']).status === 0;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A port whose cluster-bus port (port + 10000) is free too. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 25000);
    if (taken.has(p) || taken.has(p + 10000)) continue;
    if ((await portFree(p)) && (await portFree(p + 10000))) return p;
  }
  throw new Error('no free port pair for a cluster node');
}

const cli = (port: number, ...args: string[]) =>
  spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout?.trim() ?? '';

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function startRedisCluster(n = 3): Promise<OwnRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-redis-cluster-'));
  const taken = new Set<number>();
  const procs = new Map<number, ChildProcess>();
  const stopped = new Set<number>();
  const stopOne = async (port: number) => {
    const p = procs.get(port);
    stopped.add(port);
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  };
  let client: Cluster | null = null;
  const stop = async () => {
    client?.disconnect();
    for (const port of procs.keys()) await stopOne(port);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < n; i++) {
      const port = await clusterPort(taken);
      taken.add(port).add(port + 10000);
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      const args = [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        `${nodeDir}`,
        '--save',
        '',
        '--appendonly',
        'no',
      ];
      args.push('--cluster-enabled', 'yes', '--cluster-config-file', join(nodeDir, 'nodes.conf'));
      args.push('--cluster-node-timeout', '1000', '--cluster-require-full-coverage', 'no');
      procs.set(port, spawn('redis-server', args, { stdio: 'ignore' }));
    }
    const ports = [...procs.keys()];
    for (const port of ports) await until(() => cli(port, 'ping') === 'PONG', `redis-server on ${port}`);
    const create = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8' },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    for (const port of ports) {
      await until(() => /cluster_state:ok/.test(cli(port, 'cluster', 'info')), `cluster state ok on ${port}`);
    }
    const nodes = ports.map((p) => `127.0.0.1:${p}`);
    client = new Cluster(
      ports.map((port) => ({ host: '127.0.0.1', port })),
      { redisOptions: { maxRetriesPerRequest: 1, connectTimeout: 1000 } },
    );
    client.on('error', () => undefined);
    const c = client;
    return {
      nodes,
      client: c,
      nodeOf: async (key) => {
        const slot = Number(
          cli(
            ports.find((p) => !stopped.has(p))!,
            'cluster',
            'keyslot',
            key,
          ),
        );
        const owner = (await c.cluster('SLOTS')).find(([from, to]) => slot >= from && slot <= to)?.[2];
        if (!owner) throw new Error(`no node serves slot ${slot}`);
        return `${owner[0]}:${owner[1]}`;
      },
      stopNode: (node) => stopOne(Number(node.split(':')[1])),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
