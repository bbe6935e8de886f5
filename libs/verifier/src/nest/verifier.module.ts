import {
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
  type OnModuleInit,
  Inject,
  Logger,
} from '@nestjs/common';
import {
  TokenRateLimiter,
  createTokenRateLimiter,
  type TokenRateLimiterOptions,
} from '../rate-limit/token-rate-limiter';
import { DecisionClient, createDecisionClient, type DecisionClientOptions } from '../decision-client';
import { Verifier, createVerifier, type VerifierOptions } from '../verifier';
import { GatehouseGuard } from './guard';
import {
  GATEHOUSE_DECISIONS,
  GATEHOUSE_GUARD_OPTIONS,
  GATEHOUSE_RATE_LIMITER,
  GATEHOUSE_VERIFIER,
  type GuardOptions,
} from './metadata';

export interface GatehouseVerifierModuleOptions extends GuardOptions {
  /** A verifier, or the options to create one. */
  verifier: Verifier | VerifierOptions;
  /** Per-token rate limits: a limiter, its options, or off (default). */
  rateLimit?: TokenRateLimiter | TokenRateLimiterOptions | false;
  /** Gatehouse's live decisions for `@RequireDecision` routes: a client, or its options. */
  decisions?: DecisionClient | DecisionClientOptions;
}

/**
 * Provides the verifier, the optional per-token limiter and {@link GatehouseGuard}; loads
 * the JWKS and starts the revocation feed at start-up (a Gatehouse that is down then is
 * logged, not fatal: the guard answers 503 until the keys arrive).
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [GatehouseVerifierModule.forRoot({ verifier: { issuer, audience }, rateLimit: { redis: process.env.REDIS_URL } })],
 *   providers: [{ provide: APP_GUARD, useExisting: GatehouseGuard }],
 * })
 * export class AppModule {}
 * ```
 */
@Module({})
export class GatehouseVerifierModule implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('GatehouseVerifier');

  constructor(
    @Inject(GATEHOUSE_VERIFIER) private readonly verifier: Verifier,
    @Inject(GATEHOUSE_RATE_LIMITER) private readonly limiter: TokenRateLimiter | null,
  ) {}

  static forRoot(options: GatehouseVerifierModuleOptions): DynamicModule {
    const verifier =
      options.verifier instanceof Verifier
        ? options.verifier
        : createVerifier({ onRevocationModeChange: logModeChange, ...options.verifier });
    const limiter =
      options.rateLimit instanceof TokenRateLimiter
        ? options.rateLimit
        : options.rateLimit
          ? createTokenRateLimiter(options.rateLimit)
          : null;
    const providers = [
      { provide: GATEHOUSE_VERIFIER, useValue: verifier },
      { provide: GATEHOUSE_RATE_LIMITER, useValue: limiter },
      { provide: GATEHOUSE_GUARD_OPTIONS, useValue: { realm: options.realm } },
      {
        provide: GATEHOUSE_DECISIONS,
        useValue:
          options.decisions instanceof DecisionClient
            ? options.decisions
            : options.decisions
              ? createDecisionClient(options.decisions)
              : null,
      },
      GatehouseGuard,
    ];
    return {
      module: GatehouseVerifierModule,
      global: true,
      providers,
      exports: [
        GATEHOUSE_VERIFIER,
        GATEHOUSE_RATE_LIMITER,
        GATEHOUSE_GUARD_OPTIONS,
        GATEHOUSE_DECISIONS,
        GatehouseGuard,
      ],
    };
  }

  async onModuleInit(): Promise<void> {
    await this.verifier.ready().catch((err: Error) => {
      this.log.warn(`Gatehouse keys not loaded yet (${err.message}); retrying on the first request`);
    });
  }

  onApplicationShutdown(): void {
    this.verifier.close();
    this.limiter?.close();
  }
}

/** The feed going down or coming back is worth a log line: revocation is expiry-only meanwhile. */
function logModeChange(mode: string, error: string | null): void {
  const log = new Logger('GatehouseVerifier');
  if (mode === 'feed') log.log('revocation feed reachable: revoked tokens are refused within one poll interval');
  else log.warn(`revocation feed unreachable (${error}): tokens revoked from now on are accepted until they expire`);
}
