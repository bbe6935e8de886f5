import type { GatehouseConfig } from '@gatehouse/core';
import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';

/** One Redis server or a Redis Cluster: the same commands either way. */
export type RedisClient = Redis | Cluster;

/** A REDIS_CLUSTER_NODES entry as ioredis wants it, with the URL's credentials and TLS if any. */
export function clusterSeed(node: string): {
  node: ClusterNode & { host: string; port: number };
  auth: Pick<RedisOptions, 'username' | 'password' | 'tls'>;
} {
  const url = new URL(/^rediss?:\/\//.test(node) ? node : `redis://${node}`);
  const auth: Pick<RedisOptions, 'username' | 'password' | 'tls'> = {};
  if (url.username) auth.username = decodeURIComponent(url.username);
  if (url.password) auth.password = decodeURIComponent(url.password);
  if (url.protocol === 'rediss:') auth.tls = {};
  return { node: { host: url.hostname, port: Number(url.port || 6379) }, auth };
}

/**
 * The one way Gatehouse connects to Redis (docs/performance.md#redis-cluster): REDIS_URL
 * names one server; REDIS_CLUSTER_NODES names seed nodes of a Redis Cluster, whose other
 * nodes ioredis discovers (CLUSTER SLOTS). The credentials and TLS of the first seed apply
 * to every node. `options` are the per-connection options (FAIL_FAST_REDIS_OPTIONS); in a
 * cluster the offline queue and lazy connection are the cluster's own, and a command to a
 * slot whose node is down fails within `commandTimeout` like a command to a down server.
 * Every key a script or MGET touches shares a hash tag, so it runs on one slot.
 */
export function createRedisClient(
  config: Pick<GatehouseConfig, 'redisUrl' | 'redisClusterNodes'>,
  options: RedisOptions,
): RedisClient | null {
  const seeds = config.redisClusterNodes;
  if (seeds && seeds.length > 0) {
    const parsed = seeds.map(clusterSeed);
    const { lazyConnect, enableOfflineQueue, ...perNode } = options;
    return new Cluster(
      parsed.map((p) => p.node),
      {
        lazyConnect,
        enableOfflineQueue,
        redisOptions: { ...perNode, ...parsed[0]!.auth },
        // A slot whose node is gone: retry once after a failover's worth of time, then fail
        // (the caller falls back), instead of ioredis's 16 redirections.
        maxRedirections: 2,
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        slotsRefreshTimeout: options.connectTimeout ?? 1000,
      },
    );
  }
  return config.redisUrl ? new Redis(config.redisUrl, options) : null;
}
