import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Runs `fn` outside any request's async context (docs/reliability.md#logs): background work
 * (a reconnect, a retry timer, a batch flush) started while serving one request must not
 * log under that request's id long after it has been answered. The snapshot is taken at
 * module load, where no request is active.
 */
export const runDetached: <R>(fn: () => R) => R = AsyncLocalStorage.snapshot();

export interface FailureLine {
  /** Stable event name, e.g. `database_unavailable` (docs/reliability.md#events). */
  event: string;
  /** The error code kept from the cause (`ECONNREFUSED`, `57P01`, `Query read timeout`…). */
  error_code: string;
  /** How many more of the same kind were seen since the previous line. */
  suppressed: number;
}

/**
 * One log line per failure kind and interval, instead of one per failed request: during a
 * database outage every request fails the same way, and a line (with a stack) per request
 * buried the one that mattered (55.7 MB in a 21 s outage). The first failure of a kind is
 * logged at once; repeats within `intervalMs` are counted and reported with the next line.
 */
export class FailureLog {
  private readonly seen = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly write: (line: FailureLine & Record<string, unknown>, message: string) => void,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  report(event: string, err: unknown, message: string, fields: Record<string, unknown> = {}): void {
    const code = errorCode(err);
    const key = `${event}\u0000${code}`;
    const t = this.now();
    const entry = this.seen.get(key);
    if (entry && t - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    this.seen.set(key, { at: t, suppressed: 0 });
    this.write({ event, error_code: code, suppressed: entry?.suppressed ?? 0, ...fields }, message);
  }
}

/** The most specific code on an error or its causes (SQLSTATE, errno name), else its message. */
export function errorCode(err: unknown): string {
  const seen = new Set<unknown>();
  let e: unknown = err;
  let message: string | undefined;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const o = e as { code?: unknown; originalCode?: unknown; message?: unknown; cause?: unknown };
    for (const c of [o.originalCode, o.code]) {
      if (typeof c === 'string' && c.length > 0 && c.length <= 40) return c;
    }
    if (message === undefined && typeof o.message === 'string') message = o.message;
    e = o.cause;
  }
  return (message ?? 'unknown').slice(0, 80);
}
