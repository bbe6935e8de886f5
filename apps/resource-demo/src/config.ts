import type { DecisionClientOptions, RateLimitPolicy, VerifierOptions } from '@gatehouse/verifier';

export interface DemoConfig {
  port: number;
  host: string;
  verifier: VerifierOptions;
  redisUrl?: string;
  rateLimitPrefix: string;
  rateLimit: RateLimitPolicy;
  /** Gatehouse's live decisions (AuthZEN) with the demo's own client credentials, when it has them. */
  decisions?: DecisionClientOptions;
}

export class DemoConfigError extends Error {}

/**
 * Environment → one frozen config; a bad value names its variable (exit 2 in main.ts).
 * GATEHOUSE_ISSUER is required; everything else has a default.
 */
export function loadDemoConfig(env: NodeJS.ProcessEnv): DemoConfig {
  const get = (k: string) => (env[k] === '' ? undefined : env[k]);
  const issuer = get('GATEHOUSE_ISSUER');
  if (!issuer || !/^https?:\/\//.test(issuer)) {
    throw new DemoConfigError('GATEHOUSE_ISSUER must be the Gatehouse issuer URL, e.g. http://127.0.0.1:3000');
  }
  const port = Number(get('PORT') ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new DemoConfigError('PORT must be a port number');
  const [requests, perSeconds] = (get('DEMO_RATE_LIMIT') ?? '600/60').split('/').map(Number);
  if (!(requests >= 1 && perSeconds >= 1)) {
    throw new DemoConfigError('DEMO_RATE_LIMIT must be REQUESTS/SECONDS, e.g. 600/60');
  }
  const interval = Number(get('DEMO_REVOCATION_INTERVAL_S') ?? 10);
  if (!(interval > 0)) throw new DemoConfigError('DEMO_REVOCATION_INTERVAL_S must be a positive number');
  const clientId = get('DEMO_FEED_CLIENT_ID');
  const clientSecret = get('DEMO_FEED_CLIENT_SECRET');
  if (Boolean(clientId) !== Boolean(clientSecret)) {
    throw new DemoConfigError('DEMO_FEED_CLIENT_ID and DEMO_FEED_CLIENT_SECRET go together');
  }
  return Object.freeze({
    port,
    host: get('HOST') ?? '127.0.0.1',
    verifier: {
      issuer,
      // Gatehouse's default audience is its issuer URL (GATEHOUSE_AUDIENCE).
      audience: get('DEMO_AUDIENCE') ?? issuer,
      ...(clientId && clientSecret
        ? { revocations: { credentials: { clientId, clientSecret }, intervalS: interval } }
        : {}),
    },
    redisUrl: get('REDIS_URL'),
    rateLimitPrefix: get('DEMO_RATE_LIMIT_PREFIX') ?? 'gh:',
    rateLimit: { name: 'token', limit: requests, windowS: perSeconds },
    ...(clientId && clientSecret
      ? { decisions: { issuer, clientId, clientSecret, cacheTtlMs: Number(get('DEMO_DECISION_CACHE_MS') ?? 1000) } }
      : {}),
  });
}
