import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  CLOCK,
  GATEHOUSE_CONFIG,
  ProblemError,
  Problems,
  type Clock,
  type GatehouseConfig,
  type Principal,
} from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import type { RequestMeta } from '@gatehouse/audit';
import { KeyChanges, type KeyAuditActor } from './key-changes';
import { maySignFrom, rotationDueAt } from './key-lifecycle';
import { SigningKeyRepository, type SigningKeyRecord } from './signing-key.repository';
import { KeyWatcher } from './key-watcher';
import { SigningKeyService } from './signing-key.service';
import { keyView, type RevocationResult, type RotationResult, type SigningKeyList } from './signing-key.views';

/** Who asks for a key change: an administrator over the API, or the operator's CLI. */
export type KeyActor = Principal | 'cli';

type RotationOutcome = { refused: SigningKeyRecord; rotated?: never } | { rotated: RotationResult; refused?: never };

const LIST_LIMIT = 200;

/**
 * Key changes on request (docs/design.md §4; the states are drawn in key-lifecycle.ts).
 * Each runs in one transaction that waits for the rotation advisory lock and writes its
 * audit rows, so with several instances the changes are serialised and each is decided on
 * the rows the previous one committed:
 * - rotation promotes `next` only once it has been published for
 *   GATEHOUSE_KEY_PUBLISH_AHEAD_S. Normally it has been published since the previous
 *   rotation; a second request racing the first finds a brand-new `next` and is refused
 *   with 409 and Retry-After, so two requests never rotate twice;
 * - emergency revocation removes the key from this instance at once and from every other
 *   listening worker and instance before it answers (KeyWatcher; the reload every
 *   KEY_RELOAD_INTERVAL_S is the backstop). A revoked current key is replaced
 *   by `next` immediately, published-ahead or not: signing with a compromised key is
 *   worse than a verifier refetching the JWKS for a kid it has not seen yet.
 */
@Injectable()
export class KeyRotationService {
  private readonly log = new Logger('SigningKeys');

  constructor(
    private readonly repo: SigningKeyRepository,
    private readonly keys: SigningKeyService,
    private readonly changes: KeyChanges,
    private readonly prisma: PrismaService,
    private readonly watcher: KeyWatcher,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async list(actor: Principal): Promise<SigningKeyList> {
    if (actor.tier !== 'admin') throw Problems.forbidden('Only administrators may list signing keys.');
    return this.snapshot();
  }

  /** The key list without the caller check: for GET /v1/keys and the operator metrics. */
  async snapshot(): Promise<SigningKeyList> {
    const now = this.clock.now();
    const rows = await this.repo.listRecent(LIST_LIMIT);
    const current = rows.find((k) => k.state === 'current');
    const next = rows.find((k) => k.state === 'next');
    const due =
      current && next
        ? Math.max(+rotationDueAt(this.config.keys, current), +maySignFrom(this.config.keys, next))
        : null;
    return {
      keys: rows.map((k) => keyView(this.config.keys, k, now)),
      rotation: {
        period_s: this.config.keys.rotationS,
        overlap_s: this.config.keys.overlapS,
        publish_ahead_s: this.config.keys.publishAheadS,
        next_rotation_at: due === null ? null : new Date(due).toISOString(),
      },
    };
  }

  /** On-demand rotation: next → current, current → retired, and a new next is published. */
  async rotate(actor: KeyActor, meta: RequestMeta): Promise<RotationResult> {
    requireKeyAdmin(actor);
    const now = this.clock.now();
    const by = auditActor(actor);
    let change: string | null = null;
    const outcome = await this.prisma.transaction(async (tx): Promise<RotationOutcome> => {
      await this.repo.lockForRotation(tx);
      const current = await this.repo.findCurrent(tx);
      if (!current) throw new Error('no current signing key (start-up creates one)');
      const next = await this.repo.findNext(tx);
      // Without a next key (not expected: one is kept at all times) publish one now; the
      // rotation becomes possible once it has been published long enough.
      if (!next) {
        change = await this.watcher.changeId(tx);
        return { refused: await this.changes.create(tx, 'next', now, meta, by) };
      }
      if (now < maySignFrom(this.config.keys, next)) return { refused: next };
      const trigger = actor === 'cli' ? 'cli' : 'api';
      change = await this.watcher.changeId(tx);
      return { rotated: await this.changes.rotate(tx, { current, next }, now, meta, by, trigger) };
    });
    await this.changes.reloadQuietly();
    // docs/reliability.md#key-changes: answer once every worker and instance signs with the new key.
    if (change) await this.watcher.propagated(change);
    // Thrown after the commit, so a next key published on the way is kept.
    if (outcome.refused) throw this.notPublishedLongEnough(outcome.refused, now);
    return outcome.rotated;
  }

  /** Emergency revocation: the key leaves the JWKS and every token it signed fails. */
  async revoke(actor: KeyActor, meta: RequestMeta, kid: string): Promise<RevocationResult> {
    requireKeyAdmin(actor);
    const now = this.clock.now();
    const by = auditActor(actor);
    let change = '';
    const result = await this.prisma.transaction(async (tx): Promise<RevocationResult> => {
      await this.repo.lockForRotation(tx);
      const key = await this.repo.find(tx, kid);
      if (!key) throw Problems.notFound('signing key');
      if (key.state === 'revoked') throw Problems.conflict(`The signing key ${kid} is already revoked.`);
      change = await this.watcher.changeId(tx);
      await this.repo.revoke(tx, kid, now);
      let current = await this.repo.findCurrent(tx);
      if (!current) {
        // The current key was revoked: the next one signs from now on (or, should there be
        // none, a fresh key, which verifiers fetch on its unknown kid).
        const next = await this.repo.findNext(tx);
        if (next) await this.repo.promote(tx, next.kid, now);
        current = next ?? (await this.changes.create(tx, 'current', now, meta, by));
      }
      const next = (await this.repo.findNext(tx)) ?? (await this.changes.create(tx, 'next', now, meta, by));
      await this.changes.record(tx, meta, by, 'key.revoked', kid, {
        previous_state: key.state,
        current_kid: current.kid,
      });
      if (key.state === 'current') {
        await this.changes.record(tx, meta, by, 'key.rotated', current.kid, {
          trigger: 'revocation',
          revoked_kid: kid,
          current_kid: current.kid,
          next_kid: next.kid,
          rotated_at: now.toISOString(),
        });
      }
      return {
        kid,
        state: 'revoked',
        previous_state: key.state,
        revoked_at: now.toISOString(),
        current_kid: current.kid,
      };
    });
    this.keys.forget(kid);
    await this.changes.revoked(kid);
    await this.changes.reloadQuietly();
    // docs/reliability.md#key-changes: answer once no worker anywhere accepts or signs with it.
    await this.watcher.propagated(change);
    this.log.warn(result, 'signing key revoked');
    return result;
  }

  private notPublishedLongEnough(next: SigningKeyRecord, now: Date): ProblemError {
    const from = maySignFrom(this.config.keys, next);
    const wait = Math.max(1, Math.ceil((from.getTime() - now.getTime()) / 1000));
    return new ProblemError(409, 'conflict', 'Conflict', {
      detail:
        `The next key ${next.kid} has not been published long enough to sign: verifiers may cache the JWKS, ` +
        `so it signs from ${from.toISOString()} (GATEHOUSE_KEY_PUBLISH_AHEAD_S=${this.config.keys.publishAheadS}). ` +
        'Rotate again then. To stop a compromised key now, revoke it: POST /v1/keys/{kid}/revoke.',
      headers: { 'Retry-After': String(wait) },
      extra: { next_kid: next.kid, may_sign_from: from.toISOString(), retry_after: wait },
    });
  }
}

function requireKeyAdmin(actor: KeyActor): void {
  if (actor === 'cli') return; // the operator's CLI runs with the database credentials
  if (actor.tier !== 'admin' || actor.role !== 'platform') {
    throw Problems.forbidden('Only platform administrators may rotate or revoke signing keys.');
  }
}

function auditActor(actor: KeyActor): KeyAuditActor {
  return actor === 'cli' ? { id: 'cli', tier: 'system' } : { id: actor.id, tier: actor.tier };
}
