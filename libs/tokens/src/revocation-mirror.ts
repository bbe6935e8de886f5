import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { GATEHOUSE_CONFIG, LONGEST_TOKEN_TTL_S, type GatehouseConfig } from '@gatehouse/core';
import { SqlPool } from '@gatehouse/db';
import { createRedisClient, FAIL_FAST_REDIS_OPTIONS, RedisCircuit, type RedisClient } from '@gatehouse/ratelimit';
import { randomUUID } from 'node:crypto';
import { isRevokedBy, revocationKeys, type RevocationClaims } from '@gatehouse/verifier';

/** The claims a revocation check reads. */
export type RevocationSubject = RevocationClaims;

/** How long a "valid after" mark can matter: no token lives longer than this after its iat. */
const MARK_RELEVANT_MS = (LONGEST_TOKEN_TTL_S + 300) * 1000;

/** Keeps the larger of the stored and the new mark (marks only move forward). */
const RAISE_MARK = `
local cur = redis.call('GET', KEYS[1])
if (not cur) or tonumber(cur) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
end
return 1`;

/** Declares the mirror complete, unless the rebuild lock vanished (a flush) meanwhile. */
const FINISH_REBUILD = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2])
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`;

/**
 * The Redis fast path for revocation state (docs/design.md §8: durable in Postgres, Redis
 * is the fast path and is rebuilt from Postgres).
 *
 * Keys, under the deployment prefix: `{rv}:jti:<jti>` for a revoked access token (expires
 * with the token), `{rv}:va:<id>` for a "valid after" mark in epoch ms (expires once no
 * token issued before it can still be alive), and `{rv}:synced`, set only when the mirror
 * holds everything Postgres holds. `{rv}` is a Redis Cluster hash tag: all of them live on
 * one slot. Redis forgets everything on a flush or a restart without
 * persistence; `rv:synced` goes with it, and a missing marker is how the loss is noticed.
 *
 * `check` answers null whenever the mirror cannot be trusted — no Redis configured, Redis
 * unreachable, marker missing, or this instance failed to mirror a write — and the caller
 * then asks Postgres. Nothing revoked can come back to life through the mirror:
 *  - every revocation is committed to Postgres first, then written here;
 *  - a rebuild copies Postgres and sets the marker only if its lock survived, so a flush
 *    during a rebuild leaves the marker unset and another rebuild follows;
 *  - a revocation whose mirror write fails deletes the marker (everyone falls back to
 *    Postgres and rebuilds); until that delete succeeds this instance uses Postgres itself.
 *    Limit: while this instance cannot reach Redis but others can, and before its retry
 *    lands, the others may miss that one revocation in the mirror.
 */
@Injectable()
export class RevocationMirror implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('RevocationMirror');
  private readonly redis: RedisClient | null;
  private readonly prefix: string;
  /** This instance failed to mirror a revocation and has not yet cleared the marker. */
  private dirty = false;
  private rebuilding: Promise<boolean> | null = null;
  private lastRebuildAttempt = 0;
  private repair: NodeJS.Timeout | null = null;
  /** docs/reliability.md#redis-hung: after a failure, checks go to Postgres without waiting on Redis. */
  private readonly circuit: RedisCircuit | null;

  constructor(
    @Inject(GATEHOUSE_CONFIG) config: GatehouseConfig,
    private readonly sql: SqlPool,
  ) {
    // One hash tag for every key: the MGET of a check and the rebuild's script touch several
    // keys, which a Redis Cluster serves only from one slot (docs/performance.md#redis-cluster).
    this.prefix = `${config.redisPrefix}{rv}:`;
    this.redis = createRedisClient(config, { ...FAIL_FAST_REDIS_OPTIONS, lazyConnect: true });
    this.redis?.on('error', () => undefined);
    this.redis?.defineCommand('raiseMark', { numberOfKeys: 1, lua: RAISE_MARK });
    this.redis?.defineCommand('finishRebuild', { numberOfKeys: 2, lua: FINISH_REBUILD });
    this.circuit = this.redis
      ? new RedisCircuit(this.redis, {
          onOpen: () =>
            this.log.warn(
              { event: 'revocation_mirror_bypassed' },
              'Redis unreachable: revocation checks read Postgres',
            ),
          onClose: () => {
            this.log.log(
              { event: 'revocation_mirror_resumed' },
              'Redis answers again: revocation checks use the mirror',
            );
            void this.rebuildIfMissing();
          },
        })
      : null;
  }

  get enabled(): boolean {
    return this.redis !== null;
  }

  async onModuleInit(): Promise<void> {
    await this.redis?.connect().catch(() => undefined);
    void this.rebuildIfMissing();
  }

  onModuleDestroy(): void {
    this.circuit?.dispose();
    if (this.repair) clearInterval(this.repair);
    this.redis?.disconnect();
  }

  /** true = revoked, false = live, null = ask Postgres. One Redis round trip. */
  async check(c: RevocationSubject): Promise<boolean | null> {
    if (!this.redis || this.dirty || this.circuit!.isOpen) return null;
    const { jtis, subjects } = revocationKeys(c);
    let values: (string | null)[];
    try {
      values = await this.circuit!.run((redis) =>
        redis.mget(
          this.key('synced'),
          ...jtis.map((j) => this.key(`jti:${j}`)),
          ...subjects.map((id) => this.key(`va:${id}`)),
        ),
      );
    } catch {
      return null;
    }
    if (values[0] === null) {
      // Another instance may hold the rebuild lock: try at most once a second from here.
      if (Date.now() - this.lastRebuildAttempt > 1000) {
        this.lastRebuildAttempt = Date.now();
        void this.rebuild();
      }
      return null;
    }
    const listed = values.slice(1, 1 + jtis.length);
    const marks = values.slice(1 + jtis.length);
    return isRevokedBy(c, {
      jtiRevoked: (j) => listed[jtis.indexOf(j)] !== null,
      validAfterMs: (id) => {
        const mark = marks[subjects.indexOf(id)];
        return mark === null || mark === undefined ? undefined : Number(mark);
      },
    });
  }

  /** After the revocation committed in Postgres. Never throws. */
  async revokedJti(jti: string, expiresAt: Date): Promise<void> {
    if (!this.redis) return;
    try {
      await this.circuit!.run((redis) =>
        redis.set(this.key(`jti:${jti}`), '1', 'PXAT', Math.max(expiresAt.getTime(), Date.now() + 1000)),
      );
    } catch (err) {
      this.writeFailed(err);
    }
  }

  /** After the mark committed in Postgres. Never throws. */
  async validAfter(subjectId: string, at: Date): Promise<void> {
    if (!this.redis) return;
    try {
      await this.circuit!.run(() => this.raiseMark(subjectId, at.getTime()));
    } catch (err) {
      this.writeFailed(err);
    }
  }

  /** Rebuilds when the completeness marker is gone (start-up, after a flush). */
  async rebuildIfMissing(): Promise<void> {
    if (!this.redis) return;
    try {
      if ((await this.redis.exists(this.key('synced'))) === 0) await this.rebuild();
    } catch {
      // unreachable: checks fall back to Postgres, and the first check after it returns rebuilds
    }
  }

  /**
   * Copies the live revocation state from Postgres. One instance at a time (a lock key
   * with a timeout); returns whether this call completed a rebuild.
   */
  rebuild(): Promise<boolean> {
    this.rebuilding ??= this.doRebuild()
      .catch((err: unknown) => {
        this.log.warn({ err: (err as Error).message }, 'revocation mirror rebuild failed; Postgres answers meanwhile');
        return false;
      })
      .finally(() => (this.rebuilding = null));
    return this.rebuilding;
  }

  private async doRebuild(): Promise<boolean> {
    const redis = this.redis!;
    const lock = randomUUID();
    if ((await redis.set(this.key('rebuild'), lock, 'PX', 30_000, 'NX')) === null) return false;
    const [jtis, marks] = await Promise.all([
      this.sql.query<{ jti: string; expires_at: Date }>(
        'SELECT jti, expires_at FROM revoked_tokens WHERE expires_at > now()',
      ),
      this.sql.query<{ subject_id: string; valid_after: Date }>(
        `SELECT subject_id, valid_after FROM principal_revocations WHERE valid_after > now() - make_interval(secs => $1)`,
        [MARK_RELEVANT_MS / 1000],
      ),
    ]);
    for (let i = 0; i < Math.max(jtis.length, marks.length); i += 500) {
      const batch = redis.pipeline();
      for (const r of jtis.slice(i, i + 500)) batch.set(this.key(`jti:${r.jti}`), '1', 'PXAT', r.expires_at.getTime());
      for (const m of marks.slice(i, i + 500)) {
        const at = m.valid_after.getTime();
        (batch as unknown as { raiseMark(k: string, a: string, b: string): void }).raiseMark(
          this.key(`va:${m.subject_id}`),
          String(at),
          String(at + MARK_RELEVANT_MS),
        );
      }
      const results = await batch.exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    }
    const done = (await (
      redis as unknown as { finishRebuild(a: string, b: string, c: string, d: string): Promise<number> }
    ).finishRebuild(this.key('rebuild'), this.key('synced'), lock, new Date().toISOString())) as number;
    if (done === 1) {
      this.log.log(
        { revoked_jtis: jtis.length, valid_after_marks: marks.length },
        'revocation mirror rebuilt from Postgres',
      );
    }
    return done === 1;
  }

  private raiseMark(subjectId: string, atMs: number): Promise<unknown> {
    return (this.redis as unknown as { raiseMark(k: string, a: string, b: string): Promise<unknown> }).raiseMark(
      this.key(`va:${subjectId}`),
      String(atMs),
      String(atMs + MARK_RELEVANT_MS),
    );
  }

  private writeFailed(err: unknown): void {
    this.dirty = true;
    this.log.error(
      { err: (err as Error).message, alert: 'revocation_mirror_write_failed' },
      'could not mirror a revocation to Redis: checking revocations in Postgres until the mirror is invalidated',
    );
    const invalidate = async () => {
      try {
        await this.redis!.del(this.key('synced'));
        this.dirty = false;
        if (this.repair) clearInterval(this.repair);
        this.repair = null;
      } catch {
        // still unreachable; the interval tries again
      }
    };
    if (!this.repair) {
      this.repair = setInterval(() => void invalidate(), 1000);
      this.repair.unref();
    }
    void invalidate();
  }

  private key(suffix: string): string {
    return this.prefix + suffix;
  }
}
