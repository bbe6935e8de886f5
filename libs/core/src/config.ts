import { z } from 'zod';

/**
 * Gatehouse configuration: one typed object read from the environment once at boot,
 * validated, then frozen, so no code path reads a different value later. A bad value stops the
 * process with a message naming the variable.
 */

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const int = (min: number, max: number) =>
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

const postgresUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL');
const redisUrl = z.string().refine((v) => /^rediss?:\/\//.test(v), 'must be a redis:// or rediss:// URL');
/** A Redis Cluster seed: `host:port`, or a redis(s):// URL whose credentials and TLS apply to every node. */
const clusterNode = z
  .string()
  .refine(
    (v) => /^[A-Za-z0-9.-]+:\d{1,5}$/.test(v) || /^rediss?:\/\/[^\s]*:\d{1,5}\/?$/.test(v),
    'must be a comma-separated list of host:port (or redis://host:port URLs)',
  );
const httpUrl = z
  .string()
  .url('must be an absolute URL')
  .refine((v) => /^https?:\/\//.test(v), 'must be an http(s) URL')
  .transform((v) => v.replace(/\/+$/, ''));

/** Seconds a verifier may cache the JWKS (`Cache-Control: max-age` on /.well-known/jwks.json). */
export const JWKS_MAX_AGE_S = 300;

/**
 * Every instance reloads the key table this often, so a rotation or revocation made by
 * one instance reaches the others within this many seconds (libs/keys).
 */
export const KEY_RELOAD_INTERVAL_S = 30;

/**
 * The longest access token Gatehouse mints: apps' `token_ttl_s` is capped at this in the
 * HTTP schemas, and GATEHOUSE_ACCESS_TOKEN_TTL_S cannot exceed it either.
 */
export const LONGEST_TOKEN_TTL_S = 3600;

const envSchema = z.object({
  DATABASE_URL: postgresUrl.optional(),
  REDIS_URL: redisUrl.optional(),
  REDIS_CLUSTER_NODES: z
    .string()
    .transform((v) => v.split(',').map((n) => n.trim()))
    .pipe(z.array(clusterNode).min(1))
    .optional(),
  GATEHOUSE_KEK: z
    .string()
    .refine((v) => {
      const b = Buffer.from(v, 'base64');
      return b.length === 32 && b.toString('base64') === v.trim();
    }, 'must be 32 random bytes in base64 (openssl rand -base64 32)')
    .optional(),
  GATEHOUSE_ISSUER: httpUrl.optional(),
  GATEHOUSE_AUDIENCE: z.string().min(1).max(2048).optional(),
  PORT: int(0, 65535).optional(),
  HOST: z.string().min(1).max(255).optional(),
  GATEHOUSE_WORKERS: int(1, 256).optional(),
  /** Prometheus metrics on their own port, on HOST (docs/reliability.md#metrics); unset: off. */
  GATEHOUSE_METRICS_PORT: int(1, 65535).optional(),
  GATEHOUSE_DATA_DIR: z.string().min(1).optional(),
  GATEHOUSE_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'letters, digits and : _ . - only (at most 64)')
    .optional(),
  GATEHOUSE_RSA_BITS: z.enum(['2048', '3072', '4096']).transform(Number).optional(),
  GATEHOUSE_ACCESS_TOKEN_TTL_S: int(60, 3600).optional(),
  GATEHOUSE_REFRESH_TOKEN_TTL_S: int(300, 90 * 24 * 3600).optional(),
  GATEHOUSE_BCRYPT_COST: int(10, 15).optional(),
  GATEHOUSE_BODY_LIMIT_BYTES: int(1024, 10 * 1024 * 1024).optional(),
  GATEHOUSE_TRUST_PROXY: bool.optional(),
  GATEHOUSE_KEY_ROTATION_DAYS: int(1, 365).optional(),
  // Lower bounds beyond these ranges depend on other variables: see keyLifecycleIssues().
  GATEHOUSE_KEY_OVERLAP_S: int(60, 30 * 24 * 3600).optional(),
  GATEHOUSE_KEY_PUBLISH_AHEAD_S: int(60, 7 * 24 * 3600).optional(),
  GATEHOUSE_CLOCK_SKEW_S: int(0, 600).optional(),
  GATEHOUSE_MAX_DELEGATION_DEPTH: int(1, 16).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  /** docs/reliability.md#logs: `pretty` on a terminal, `json` otherwise and in production. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  NODE_ENV: z.string().optional(),
  GATEHOUSE_STRIPE_WEBHOOK_SECRET: z.string().min(16).max(200).optional(),
  /** docs/client-authentication.md#the-guarded-fetcher: loopback (and http to it) for development and tests. */
  GATEHOUSE_CIMD_ALLOW_LOOPBACK: bool.optional(),
  /** docs/client-authentication.md#dpop: how old a DPoP proof's `iat` may be. */
  GATEHOUSE_DPOP_PROOF_MAX_AGE_S: int(10, 300).optional(),
  /** docs/sign-in-experience.md#mail: the SMTP server; unset, mail is written to files. */
  GATEHOUSE_SMTP_URL: z
    .string()
    .max(2048)
    .refine((v) => /^smtps?:\/\/[^\s]+$/.test(v), 'must be an smtp:// or smtps:// URL')
    .optional(),
  GATEHOUSE_MAIL_FROM: z.string().min(3).max(320).optional(),
  GATEHOUSE_MAIL_DIR: z.string().min(1).optional(),
  /** docs/sign-in-experience.md#passkeys */
  GATEHOUSE_WEBAUTHN_RP_ID: z
    .string()
    .regex(/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'must be a host name')
    .optional(),
  GATEHOUSE_WEBAUTHN_ORIGINS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'each must be an origin (scheme://host[:port])')).min(1))
    .optional(),
  /** docs/client-registration.md#expiry: days a dynamically registered client may go unused. */
  GATEHOUSE_DCR_UNUSED_EXPIRY_DAYS: int(1, 3650).optional(),
  /** docs/client-registration.md#dynamic-client-registration: registrations per address and hour. */
  GATEHOUSE_DCR_RATE_LIMIT_PER_HOUR: int(1, 100000).optional(),
});

export interface GatehouseConfig {
  /** `external` when DATABASE_URL is set; otherwise an embedded PostgreSQL in dataDir. */
  readonly database: { readonly mode: 'external'; readonly url: string } | { readonly mode: 'embedded' };
  /**
   * null: no Redis; rate limits use the in-process store. With REDIS_CLUSTER_NODES, the
   * first node (so that "is Redis configured" reads the same in both modes).
   */
  readonly redisUrl: string | null;
  /**
   * Seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES, docs/performance.md#redis-cluster);
   * null: REDIS_URL names one Redis server.
   */
  readonly redisClusterNodes: readonly string[] | null;
  readonly redisPrefix: string;
  /** null: embedded mode generates one into dataDir (mode 0600). */
  readonly kek: Buffer | null;
  readonly issuer: string;
  readonly audience: string;
  readonly port: number;
  readonly host: string;
  readonly workers: number;
  readonly metricsPort: number | null;
  readonly dataDir: string;
  readonly rsaBits: 2048 | 3072 | 4096;
  readonly accessTokenTtlS: number;
  readonly refreshTokenTtlS: number;
  readonly bcryptCost: number;
  readonly bodyLimitBytes: number;
  readonly trustProxy: boolean;
  /** Signing-key lifecycle (docs/design.md §4), all in seconds. */
  readonly keys: {
    /** A current key older than this is rotated by the schedule. */
    readonly rotationS: number;
    /** A retired key stays in the JWKS this long after it stopped signing. */
    readonly overlapS: number;
    /** A `next` key is published at least this long before it may sign. */
    readonly publishAheadS: number;
  };
  /** Clock difference tolerated between instances and verifiers. */
  readonly clockSkewS: number;
  /** The deepest `act` chain a token exchange may produce (docs/design.md §3). */
  readonly maxDelegationDepth: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * LOG_FORMAT; unset: `pretty` (human lines) when stdout is a terminal and NODE_ENV is not
   * `production`, else `json` (one object a line, what log shippers read).
   */
  readonly logFormat: 'json' | 'pretty';
  /** The Stripe endpoint secret (`whsec_…`); null: the Stripe webhook answers 404 (docs/control.md#stripe). */
  readonly stripeWebhookSecret: string | null;
  /**
   * GATEHOUSE_CIMD_ALLOW_LOOPBACK: the guarded fetcher (a client's `jwks_uri`, metadata
   * documents) may reach loopback addresses, over plain http too. Development and tests only.
   */
  readonly cimdAllowLoopback: boolean;
  /** How old a DPoP proof may be (RFC 9449 §11.1), in seconds; its `jti` is remembered this long. */
  readonly dpopProofMaxAgeS: number;
  /** Outbound mail (docs/sign-in-experience.md#mail). */
  readonly mail: {
    /** null: each message is written as an .eml file into `dir` and its path logged. */
    readonly smtpUrl: string | null;
    readonly from: string;
    readonly dir: string;
  };
  /** WebAuthn relying party (docs/sign-in-experience.md#passkeys). */
  readonly webauthn: { readonly rpId: string; readonly origins: readonly string[] };
  /** A dynamically registered client unused this long (days) is gone (docs/client-registration.md#expiry). */
  readonly dcrUnusedExpiryDays: number;
  /** Registrations one source address may make an hour at /oauth/register. */
  readonly dcrRateLimitPerHour: number;
}

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super('Invalid configuration:\n' + issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  defaults: { cpus?: number; cwd?: string; tty?: boolean } = {},
): GatehouseConfig {
  // An empty variable means "unset", as shells and compose files tend to produce them.
  const present = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k in envSchema.shape && v !== undefined && v !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), message: i.message })));
  }
  const e = parsed.data;
  if (e.DATABASE_URL && !e.GATEHOUSE_KEK) {
    // A KEK generated on one machine's disk would strand every other instance's keys.
    throw new ConfigError([
      { variable: 'GATEHOUSE_KEK', message: 'is required when DATABASE_URL is set (openssl rand -base64 32)' },
    ]);
  }
  if (e.REDIS_URL && e.REDIS_CLUSTER_NODES) {
    throw new ConfigError([
      {
        variable: 'REDIS_CLUSTER_NODES',
        message: 'set either REDIS_URL (one Redis server) or REDIS_CLUSTER_NODES (a Redis Cluster), not both',
      },
    ]);
  }
  const clusterNodes = e.REDIS_CLUSTER_NODES ? Object.freeze([...e.REDIS_CLUSTER_NODES]) : null;
  const accessTokenTtlS = e.GATEHOUSE_ACCESS_TOKEN_TTL_S ?? 600;
  const clockSkewS = e.GATEHOUSE_CLOCK_SKEW_S ?? 60;
  const keys = Object.freeze({
    rotationS: (e.GATEHOUSE_KEY_ROTATION_DAYS ?? 30) * 24 * 3600,
    overlapS: e.GATEHOUSE_KEY_OVERLAP_S ?? 24 * 3600,
    publishAheadS: e.GATEHOUSE_KEY_PUBLISH_AHEAD_S ?? minPublishAheadS(clockSkewS),
  });
  const keyIssues = keyLifecycleIssues(keys, accessTokenTtlS, clockSkewS);
  if (keyIssues.length) throw new ConfigError(keyIssues);
  const port = e.PORT ?? 3000;
  const host = e.HOST ?? '127.0.0.1';
  const issuer = e.GATEHOUSE_ISSUER ?? `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`;
  const cwd = defaults.cwd ?? process.cwd();
  return Object.freeze({
    database: e.DATABASE_URL ? { mode: 'external' as const, url: e.DATABASE_URL } : { mode: 'embedded' as const },
    redisUrl: e.REDIS_URL ?? (clusterNodes ? nodeUrl(clusterNodes[0]!) : null),
    redisClusterNodes: clusterNodes,
    redisPrefix: e.GATEHOUSE_REDIS_PREFIX ?? 'gh:',
    kek: e.GATEHOUSE_KEK ? Buffer.from(e.GATEHOUSE_KEK, 'base64') : null,
    issuer,
    audience: e.GATEHOUSE_AUDIENCE ?? issuer,
    port,
    host,
    workers: e.GATEHOUSE_WORKERS ?? Math.max(1, defaults.cpus ?? 1),
    metricsPort: e.GATEHOUSE_METRICS_PORT ?? null,
    dataDir: e.GATEHOUSE_DATA_DIR ?? `${cwd}/.gatehouse`,
    rsaBits: (e.GATEHOUSE_RSA_BITS ?? 2048) as 2048 | 3072 | 4096,
    accessTokenTtlS,
    refreshTokenTtlS: e.GATEHOUSE_REFRESH_TOKEN_TTL_S ?? 30 * 24 * 3600,
    bcryptCost: e.GATEHOUSE_BCRYPT_COST ?? 12,
    bodyLimitBytes: e.GATEHOUSE_BODY_LIMIT_BYTES ?? 64 * 1024,
    trustProxy: e.GATEHOUSE_TRUST_PROXY ?? false,
    keys,
    clockSkewS,
    maxDelegationDepth: e.GATEHOUSE_MAX_DELEGATION_DEPTH ?? 4,
    logLevel: e.LOG_LEVEL ?? 'info',
    logFormat: e.LOG_FORMAT ?? (defaults.tty && e.NODE_ENV !== 'production' ? 'pretty' : 'json'),
    stripeWebhookSecret: e.GATEHOUSE_STRIPE_WEBHOOK_SECRET ?? null,
    cimdAllowLoopback: e.GATEHOUSE_CIMD_ALLOW_LOOPBACK ?? false,
    dpopProofMaxAgeS: e.GATEHOUSE_DPOP_PROOF_MAX_AGE_S ?? 60,
    mail: Object.freeze({
      smtpUrl: e.GATEHOUSE_SMTP_URL ?? null,
      from: e.GATEHOUSE_MAIL_FROM ?? `Gatehouse <no-reply@${mailDomain(issuer)}>`,
      dir: e.GATEHOUSE_MAIL_DIR ?? `${e.GATEHOUSE_DATA_DIR ?? `${cwd}/.gatehouse`}/mail`,
    }),
    webauthn: webauthnDefaults(issuer, e.GATEHOUSE_WEBAUTHN_RP_ID, e.GATEHOUSE_WEBAUTHN_ORIGINS),
    dcrUnusedExpiryDays: e.GATEHOUSE_DCR_UNUSED_EXPIRY_DAYS ?? 30,
    dcrRateLimitPerHour: e.GATEHOUSE_DCR_RATE_LIMIT_PER_HOUR ?? 20,
  });
}

/** The issuer's host as a mail domain (`localhost` for an IP address, which no mailbox has). */
function mailDomain(issuer: string): string {
  const host = new URL(issuer).hostname;
  return /^[\d.]+$|^\[|:/.test(host) ? 'localhost' : host;
}

/**
 * The WebAuthn RP ID and allowed origins: the issuer's host and origin unless set. Browsers
 * refuse passkeys on an IP address, so an issuer on 127.0.0.1 (development) serves them on
 * `localhost`, at the same port.
 */
function webauthnDefaults(
  issuer: string,
  rpId: string | undefined,
  origins: string[] | undefined,
): { rpId: string; origins: readonly string[] } {
  const url = new URL(issuer);
  const ip = /^[\d.]+$|^\[/.test(url.hostname);
  const host = ip ? 'localhost' : url.hostname;
  const origin = ip ? `${url.protocol}//localhost${url.port ? `:${url.port}` : ''}` : url.origin;
  return Object.freeze({ rpId: rpId ?? host, origins: Object.freeze(origins ?? [origin]) });
}

/** A cluster seed as a URL: `host:port` becomes `redis://host:port`. */
function nodeUrl(node: string): string {
  return /^rediss?:\/\//.test(node) ? node : `redis://${node}`;
}

/**
 * A `next` key may sign only once every verifier can hold it: the other instances publish
 * it within one reload interval, a verifier may have fetched the JWKS just before that and
 * keep it for max-age, and the clocks deciding "old enough" may differ by the skew.
 */
function minPublishAheadS(clockSkewS: number): number {
  return KEY_RELOAD_INTERVAL_S + JWKS_MAX_AGE_S + clockSkewS;
}

/**
 * docs/design.md §4 as arithmetic, checked at start so a deployment cannot break it:
 * - a retired key must stay published until every token it signed has expired: other
 *   instances may sign with it for one reload interval after the rotation, the token then
 *   lives up to the longest TTL, a verifier may be reading a JWKS it cached for max-age,
 *   and clocks differ by the skew;
 * - a next key is published for at least minPublishAheadS() before it signs;
 * - a scheduled rotation never comes before the next key may sign.
 */
function keyLifecycleIssues(
  keys: GatehouseConfig['keys'],
  accessTokenTtlS: number,
  clockSkewS: number,
): { variable: string; message: string }[] {
  const issues: { variable: string; message: string }[] = [];
  const longestTtl = Math.max(LONGEST_TOKEN_TTL_S, accessTokenTtlS);
  const minOverlap = KEY_RELOAD_INTERVAL_S + longestTtl + JWKS_MAX_AGE_S + clockSkewS;
  if (keys.overlapS < minOverlap) {
    issues.push({
      variable: 'GATEHOUSE_KEY_OVERLAP_S',
      message:
        `must be at least ${minOverlap} s: the longest token TTL (${longestTtl} s) + the JWKS cache lifetime ` +
        `(${JWKS_MAX_AGE_S} s) + GATEHOUSE_CLOCK_SKEW_S (${clockSkewS} s) + the key reload interval ` +
        `(${KEY_RELOAD_INTERVAL_S} s), or tokens signed before a rotation would fail before they expire`,
    });
  }
  const minAhead = minPublishAheadS(clockSkewS);
  if (keys.publishAheadS < minAhead) {
    issues.push({
      variable: 'GATEHOUSE_KEY_PUBLISH_AHEAD_S',
      message:
        `must be at least ${minAhead} s: the JWKS cache lifetime (${JWKS_MAX_AGE_S} s) + GATEHOUSE_CLOCK_SKEW_S ` +
        `(${clockSkewS} s) + the key reload interval (${KEY_RELOAD_INTERVAL_S} s), so verifiers hold a key before it signs`,
    });
  }
  if (keys.rotationS <= keys.publishAheadS) {
    issues.push({
      variable: 'GATEHOUSE_KEY_ROTATION_DAYS',
      message: `must give a rotation period longer than GATEHOUSE_KEY_PUBLISH_AHEAD_S (${keys.publishAheadS} s)`,
    });
  }
  return issues;
}

/** Nest injection token for the frozen GatehouseConfig. */
export const GATEHOUSE_CONFIG = Symbol('gatehouse.config');
