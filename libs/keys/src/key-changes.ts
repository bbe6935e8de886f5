import { Inject, Injectable, Logger } from '@nestjs/common';
import { GATEHOUSE_CONFIG, type GatehouseConfig } from '@gatehouse/core';
import type { Tx } from '@gatehouse/db';
import { AuditService, type AuditEntry, type RequestMeta } from '@gatehouse/audit';
import { SigningKeyGenerator } from './key-generator';
import { SigningKeyRepository, type SigningKeyRecord } from './signing-key.repository';
import { SigningKeyService } from './signing-key.service';
import type { RotationResult } from './signing-key.views';

/** What started a rotation, as recorded in its `key.rotated` audit row. */
export type RotationTrigger = 'api' | 'cli' | 'schedule' | 'revocation';
export type KeyAuditActor = AuditEntry['actor'];
export const SYSTEM_ACTOR: KeyAuditActor = { id: 'system', tier: 'system' };

type KeyAction = 'key.created' | 'key.rotated' | 'key.revoked' | 'key.expired';

/**
 * The steps every key change is made of, each writing its audit row in the caller's
 * transaction. Callers hold the rotation lock (SigningKeyRepository.lockForRotation or
 * tryLockForRotation) for that transaction.
 */
@Injectable()
export class KeyChanges {
  private readonly log = new Logger('SigningKeys');
  private readonly revokedListeners: ((kid: string) => Promise<void>)[] = [];

  constructor(
    private readonly repo: SigningKeyRepository,
    private readonly keys: SigningKeyService,
    private readonly generator: SigningKeyGenerator,
    private readonly audit: AuditService,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  /**
   * Work that must follow an emergency revocation in libraries above this one (the
   * delegation lineage revokes what was exchanged from the key's tokens). Runs after commit.
   */
  onRevoked(listener: (kid: string) => Promise<void>): void {
    this.revokedListeners.push(listener);
  }

  async revoked(kid: string): Promise<void> {
    for (const listener of this.revokedListeners) await listener(kid);
  }

  /** next → current, current → retired (it stops signing now), and a new next is published. */
  async rotate(
    tx: Tx,
    keys: { current: SigningKeyRecord; next: SigningKeyRecord },
    now: Date,
    meta: RequestMeta,
    by: KeyAuditActor,
    trigger: RotationTrigger,
  ): Promise<RotationResult> {
    await this.repo.retire(tx, keys.current.kid, now); // before promote: one current at a time
    await this.repo.promote(tx, keys.next.kid, now);
    const fresh = await this.create(tx, 'next', now, meta, by);
    const result = {
      current_kid: keys.next.kid,
      retired_kid: keys.current.kid,
      next_kid: fresh.kid,
      rotated_at: now.toISOString(),
    };
    await this.record(tx, meta, by, 'key.rotated', keys.next.kid, { trigger, ...result });
    return result;
  }

  async create(
    tx: Tx,
    state: 'next' | 'current',
    now: Date,
    meta: RequestMeta,
    by: KeyAuditActor,
  ): Promise<SigningKeyRecord> {
    const key = await this.generator.generate(state, now);
    await this.repo.insert(tx, key);
    await this.record(tx, meta, by, 'key.created', key.kid, { state, alg: key.alg, bits: this.config.rsaBits });
    return { ...key, retiredAt: null, revokedAt: null };
  }

  record(
    tx: Tx,
    meta: RequestMeta,
    actor: KeyAuditActor,
    action: KeyAction,
    kid: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    return this.audit.record(tx, meta, {
      action,
      outcome: 'success',
      actor,
      target: { type: 'signing_key', id: kid },
      details,
    });
  }

  /** After a commit: this instance serves the change now; a failed read is retried next tick. */
  async reloadQuietly(): Promise<void> {
    try {
      await this.keys.reload();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'reloading signing keys failed; retrying next round');
    }
  }
}
