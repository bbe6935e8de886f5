import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { CLOCK, GATEHOUSE_CONFIG, KEY_RELOAD_INTERVAL_S, type Clock, type GatehouseConfig } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { NO_REQUEST } from '@gatehouse/audit';
import { KeyChanges, SYSTEM_ACTOR } from './key-changes';
import { maySignFrom, retiredPublishedAfter, rotationDueAt } from './key-lifecycle';
import { SigningKeyRepository } from './signing-key.repository';
import { SigningKeyService } from './signing-key.service';

/**
 * What every instance does on its own (docs/design.md §4): at start, make sure there is a
 * current and a next key; then every KEY_RELOAD_INTERVAL_S, run the scheduled rotation and
 * the expiry of retired keys, and reload the keys so a change made by any instance (or the
 * CLI) reaches this one.
 *
 * The scheduled work takes the rotation lock with pg_try_advisory_xact_lock: with several
 * instances one acts and the others skip the round rather than queue behind it, and the
 * one that acts decides "due" on the rows the previous holder committed, so a rotation
 * happens once however many instances check at the same moment.
 */
@Injectable()
export class KeyScheduleService implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('SigningKeys');
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;

  constructor(
    private readonly repo: SigningKeyRepository,
    private readonly keys: SigningKeyService,
    private readonly changes: KeyChanges,
    private readonly prisma: PrismaService,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.ensureKeys();
    await this.keys.reload();
    // unref: the schedule never keeps a process (a CLI command, a test) alive on its own.
    this.timer = setInterval(() => void this.tick(), KEY_RELOAD_INTERVAL_S * 1000).unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
  }

  /** One round of the periodic work (rounds never overlap). Never throws: a failure is logged. */
  tick(): Promise<void> {
    this.ticking ??= this.round().finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async round(): Promise<void> {
    try {
      await this.maintain();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'scheduled key maintenance failed; retrying next round');
    }
    await this.changes.reloadQuietly();
  }

  private async maintain(): Promise<void> {
    const now = this.clock.now();
    await this.prisma.transaction(async (tx) => {
      if (!(await this.repo.tryLockForRotation(tx))) return; // another instance has this round
      for (const key of await this.repo.findRetiredBefore(tx, retiredPublishedAfter(this.config.keys, now))) {
        await this.repo.expire(tx, key.kid);
        await this.changes.record(tx, NO_REQUEST, SYSTEM_ACTOR, 'key.expired', key.kid, {
          retired_at: key.retiredAt?.toISOString(),
        });
      }
      const current = await this.repo.findCurrent(tx);
      const next =
        (await this.repo.findNext(tx)) ?? (await this.changes.create(tx, 'next', now, NO_REQUEST, SYSTEM_ACTOR));
      if (!current) return; // only a revocation removes it, and that promotes at once
      if (now < rotationDueAt(this.config.keys, current) || now < maySignFrom(this.config.keys, next)) return;
      const result = await this.changes.rotate(tx, { current, next }, now, NO_REQUEST, SYSTEM_ACTOR, 'schedule');
      this.log.log(result, 'scheduled signing-key rotation');
    });
  }

  /** First start (or a key table from before rotation existed): a current and a next key. */
  private async ensureKeys(): Promise<void> {
    const now = this.clock.now();
    await this.prisma.transaction(async (tx) => {
      await this.repo.lockForRotation(tx);
      if (!(await this.repo.findCurrent(tx))) {
        // Nothing was published before the very first key, so it signs at once.
        const key = await this.changes.create(tx, 'current', now, NO_REQUEST, SYSTEM_ACTOR);
        this.log.log({ kid: key.kid }, 'created the first signing key');
      }
      if (!(await this.repo.findNext(tx))) await this.changes.create(tx, 'next', now, NO_REQUEST, SYSTEM_ACTOR);
    });
  }
}
