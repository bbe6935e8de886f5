import { z } from 'zod';

/**
 * Gatehouse configuration: one typed object read from the environment once at boot,
 * validated, then frozen (STYLE.md "Configuration and keys"). A bad value stops the
 * process with a message naming the variable.
 */

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const int = (min: number, max: number) =>
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

const postgresUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL');
const redisUrl = z.string().refine((v) => /^rediss?:\/\//.test(v), 'must be a redis:// or rediss:// URL');
const httpUrl = z
  .string()
  .url('must be an absolute URL')
  .refine((v) => /^https?:\/\//.test(v), 'must be an http(s) URL')
  .transform((v) => v.replace(/\/+$/, ''));

const envSchema = z.object({
  DATABASE_URL: postgresUrl.optional(),
  REDIS_URL: redisUrl.optional(),
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
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
});

export interface GatehouseConfig {
  /** `external` when DATABASE_URL is set; otherwise an embedded PostgreSQL in dataDir. */
  readonly database: { readonly mode: 'external'; readonly url: string } | { readonly mode: 'embedded' };
  /** null: no Redis; rate limits use the in-process store. */
  readonly redisUrl: string | null;
  readonly redisPrefix: string;
  /** null: embedded mode generates one into dataDir (mode 0600). */
  readonly kek: Buffer | null;
  readonly issuer: string;
  readonly audience: string;
  readonly port: number;
  readonly host: string;
  readonly workers: number;
  readonly dataDir: string;
  readonly rsaBits: 2048 | 3072 | 4096;
  readonly accessTokenTtlS: number;
  readonly refreshTokenTtlS: number;
  readonly bcryptCost: number;
  readonly bodyLimitBytes: number;
  readonly trustProxy: boolean;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super('Invalid configuration:\n' + issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  defaults: { cpus?: number; cwd?: string } = {},
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
  const port = e.PORT ?? 3000;
  const host = e.HOST ?? '127.0.0.1';
  const issuer = e.GATEHOUSE_ISSUER ?? `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`;
  const cwd = defaults.cwd ?? process.cwd();
  return Object.freeze({
    database: e.DATABASE_URL ? { mode: 'external' as const, url: e.DATABASE_URL } : { mode: 'embedded' as const },
    redisUrl: e.REDIS_URL ?? null,
    redisPrefix: e.GATEHOUSE_REDIS_PREFIX ?? 'gh:',
    kek: e.GATEHOUSE_KEK ? Buffer.from(e.GATEHOUSE_KEK, 'base64') : null,
    issuer,
    audience: e.GATEHOUSE_AUDIENCE ?? issuer,
    port,
    host,
    workers: e.GATEHOUSE_WORKERS ?? Math.max(1, defaults.cpus ?? 1),
    dataDir: e.GATEHOUSE_DATA_DIR ?? `${cwd}/.gatehouse`,
    rsaBits: (e.GATEHOUSE_RSA_BITS ?? 2048) as 2048 | 3072 | 4096,
    accessTokenTtlS: e.GATEHOUSE_ACCESS_TOKEN_TTL_S ?? 600,
    refreshTokenTtlS: e.GATEHOUSE_REFRESH_TOKEN_TTL_S ?? 30 * 24 * 3600,
    bcryptCost: e.GATEHOUSE_BCRYPT_COST ?? 12,
    bodyLimitBytes: e.GATEHOUSE_BODY_LIMIT_BYTES ?? 64 * 1024,
    trustProxy: e.GATEHOUSE_TRUST_PROXY ?? false,
    logLevel: e.LOG_LEVEL ?? 'info',
  });
}

/** Nest injection token for the frozen GatehouseConfig. */
export const GATEHOUSE_CONFIG = Symbol('gatehouse.config');
