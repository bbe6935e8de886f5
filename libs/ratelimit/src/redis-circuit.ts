import { runDetached } from '@gatehouse/core';
import type { RedisClient } from './redis-client';

/** How often an open circuit pings Redis to see whether it answers again. */
export const REDIS_PROBE_MS = 1000;

/** Thrown at once, without touching Redis, while the circuit is open. */
export class RedisCircuitOpen extends Error {
  constructor() {
    super('Redis circuit open: not waiting on Redis until a probe succeeds');
  }
}

/**
 * A circuit breaker in front of one Redis connection (docs/reliability.md#redis-hung).
 * The command timeout alone made every request wait 500 ms on a hung Redis (tokens/s fell
 * from 776 to 16); here the first failure opens the circuit, and from then on callers get
 * `RedisCircuitOpen` at once and use their fallback (local limits, PostgreSQL) while a
 * background PING every `probeMs` — never a request — finds out when Redis answers again.
 */
export class RedisCircuit {
  private openedAt: number | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  private closedForGood = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly hooks: { onOpen?: (err: unknown) => void; onClose?: (downMs: number) => void } = {},
    private readonly probeMs = REDIS_PROBE_MS,
  ) {}

  get isOpen(): boolean {
    return this.openedAt !== null;
  }

  /** Runs `command` unless the circuit is open; a failure opens it. */
  async run<T>(command: (redis: RedisClient) => Promise<T>): Promise<T> {
    if (this.openedAt !== null) throw new RedisCircuitOpen();
    try {
      return await command(this.redis);
    } catch (err) {
      this.trip(err);
      throw err;
    }
  }

  /** Opens the circuit (also for a caller that saw Redis fail some other way). */
  trip(err: unknown): void {
    if (this.openedAt !== null || this.closedForGood) return;
    this.openedAt = Date.now();
    this.hooks.onOpen?.(err);
    this.scheduleProbe();
  }

  dispose(): void {
    this.closedForGood = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = null;
  }

  private scheduleProbe(): void {
    if (this.closedForGood) return;
    // The probe belongs to no request: its lines carry no request id (docs/reliability.md#logs).
    this.probeTimer = runDetached(() =>
      setTimeout(() => {
        this.probeTimer = null;
        this.redis.ping().then(
          () => {
            const downMs = Date.now() - (this.openedAt ?? Date.now());
            this.openedAt = null;
            this.hooks.onClose?.(downMs);
          },
          () => this.scheduleProbe(),
        );
      }, this.probeMs),
    );
    this.probeTimer.unref();
  }
}
