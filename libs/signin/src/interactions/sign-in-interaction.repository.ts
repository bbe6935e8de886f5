import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, newId, type Clock } from '@gatehouse/core';
import { PrismaService, type Prisma, type Tx } from '@gatehouse/db';
import { KEK, KeyedHasher, randomSecret } from '@gatehouse/credentials';
import { INTERACTION_KINDS, isHandleOf, type InteractionKind, type SignInStep } from './interaction-kinds';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** One sign-in in progress (docs/architecture.md#sign-in-interactions). */
export interface SignInInteraction {
  id: string;
  kind: InteractionKind;
  /** The administrator or user signing in, once known. */
  subjectId: string | null;
  orgId: string | null;
  /** The client the sign-in comes through. */
  clientId: string | null;
  stepsDone: SignInStep[];
  /** What the flow parked with the interaction (e.g. an authorization request). */
  params: JsonObject;
  expiresAt: Date;
  consumedAt: Date | null;
  createdAt: Date;
}

export interface NewInteraction {
  kind: InteractionKind;
  subjectId?: string | null;
  orgId?: string | null;
  clientId?: string | null;
  stepsDone?: SignInStep[];
  params?: JsonObject;
  /** Lifetime from now, in seconds. */
  ttlS: number;
}

/**
 * What a handle names. A consumed or expired interaction is returned too, so a refusal can
 * still name its subject in the audit trail; only `live` may be acted on.
 */
export type InteractionLookup =
  | { status: 'live'; interaction: SignInInteraction }
  | { status: 'consumed' | 'expired'; interaction: SignInInteraction }
  | { status: 'unknown' };

/** A Prisma client or an open transaction. */
type Db = Tx | PrismaService;

/**
 * The interaction store (docs/architecture.md#sign-in-interactions): the one place sign-in
 * state in progress is written. Handles are ≥ 256 random bits, handed out once and stored
 * only as a keyed hash (a stolen table alone redeems nothing); liveness (not consumed, not
 * expired) is judged against the injected clock; every change is one conditional UPDATE, so
 * two concurrent requests cannot both consume a handle or both name a subject.
 */
@Injectable()
export class SignInInteractionRepository {
  private readonly hashers: Record<InteractionKind, KeyedHasher>;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(KEK) kek: Buffer,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.hashers = Object.fromEntries(
      Object.entries(INTERACTION_KINDS).map(([kind, k]) => [kind, new KeyedHasher(kek, k.hashPurpose)]),
    ) as Record<InteractionKind, KeyedHasher>;
  }

  /** A new interaction and its handle; the handle is returned here only, never stored. */
  async create(
    input: NewInteraction,
    db: Db = this.prisma,
  ): Promise<{ handle: string; interaction: SignInInteraction }> {
    const handle = randomSecret(INTERACTION_KINDS[input.kind].handlePrefix);
    const now = this.clock.now();
    const row = await db.signInInteraction.create({
      data: {
        id: newId('challenge'),
        kind: input.kind,
        handleHash: this.hashers[input.kind].hash(handle),
        subjectId: input.subjectId ?? null,
        orgId: input.orgId ?? null,
        clientId: input.clientId ?? null,
        stepsDone: input.stepsDone ?? [],
        params: (input.params ?? {}) as Prisma.InputJsonObject,
        expiresAt: new Date(now.getTime() + input.ttlS * 1000),
        createdAt: now,
      },
    });
    return { handle, interaction: toInteraction(row) };
  }

  /** The interaction `handle` names among those of `kind`, and whether it is live. */
  async findLive(kind: InteractionKind, handle: unknown): Promise<InteractionLookup> {
    if (!isHandleOf(kind, handle)) return { status: 'unknown' };
    const row = await this.prisma.signInInteraction.findUnique({
      where: { handleHash: this.hashers[kind].hash(handle) },
    });
    if (!row || row.kind !== kind) return { status: 'unknown' };
    const interaction = toInteraction(row);
    if (interaction.consumedAt) return { status: 'consumed', interaction };
    if (interaction.expiresAt <= this.clock.now()) return { status: 'expired', interaction };
    return { status: 'live', interaction };
  }

  /**
   * Records `step` as done on a live interaction (once: doing it again changes nothing) and,
   * when given, names its subject. A subject once named is never replaced: a different one
   * is refused like a dead interaction. Null when the interaction is not live or the
   * subject differs; else the interaction as it now stands.
   */
  async markStepDone(
    id: string,
    step: SignInStep,
    opts: { subjectId?: string } = {},
    db: Db = this.prisma,
  ): Promise<SignInInteraction | null> {
    const subjectId = opts.subjectId ?? null;
    const rows = await db.$queryRaw<Row[]>`
      UPDATE sign_in_interactions
         SET steps_done = CASE WHEN ${step} = ANY (steps_done) THEN steps_done ELSE array_append(steps_done, ${step}) END,
             subject_id = COALESCE(subject_id, ${subjectId})
       WHERE id = ${id} AND consumed_at IS NULL AND expires_at > ${this.clock.now()}
         AND (${subjectId}::text IS NULL OR subject_id IS NULL OR subject_id = ${subjectId})
      RETURNING id, kind, subject_id AS "subjectId", org_id AS "orgId", client_id AS "clientId",
                steps_done AS "stepsDone", params, expires_at AS "expiresAt", consumed_at AS "consumedAt",
                created_at AS "createdAt"`;
    return rows[0] ? toInteraction(rows[0]) : null;
  }

  /**
   * Merges `patch` into the parked params of a live interaction (the identifier a sign-in
   * page collected, say); null when the interaction is not live.
   */
  async mergeParams(id: string, patch: JsonObject, db: Db = this.prisma): Promise<SignInInteraction | null> {
    const rows = await db.$queryRaw<Row[]>`
      UPDATE sign_in_interactions SET params = params || ${JSON.stringify(patch)}::jsonb
       WHERE id = ${id} AND consumed_at IS NULL AND expires_at > ${this.clock.now()}
      RETURNING id, kind, subject_id AS "subjectId", org_id AS "orgId", client_id AS "clientId",
                steps_done AS "stepsDone", params, expires_at AS "expiresAt", consumed_at AS "consumedAt",
                created_at AS "createdAt"`;
    return rows[0] ? toInteraction(rows[0]) : null;
  }

  /**
   * Consumes a live interaction: true for exactly one caller, however many race (a
   * conditional UPDATE, re-checked by PostgreSQL under the row lock); false once it is
   * consumed or expired. Run it in the transaction of what the consumption buys, so
   * neither commits without the other.
   */
  async consume(id: string, db: Db = this.prisma): Promise<boolean> {
    const now = this.clock.now();
    const spent = await db.signInInteraction.updateMany({
      where: { id, consumedAt: null, expiresAt: { gt: now } },
      data: { consumedAt: now },
    });
    return spent.count === 1;
  }

  /**
   * Consumes every live interaction of `kind` about `subjectId` (a newer reset link makes
   * the older ones dead; a password reset ends a pending `user_mfa`). Returns how many.
   */
  async consumeAllFor(kind: InteractionKind, subjectId: string, db: Db = this.prisma): Promise<number> {
    const now = this.clock.now();
    const spent = await db.signInInteraction.updateMany({
      where: { kind, subjectId, consumedAt: null, expiresAt: { gt: now } },
      data: { consumedAt: now },
    });
    return spent.count;
  }
}

/** A row as Prisma returns it (the raw UPDATE aliases its columns to the same names). */
interface Row {
  id: string;
  kind: string;
  subjectId: string | null;
  orgId: string | null;
  clientId: string | null;
  stepsDone: string[];
  params: unknown;
  expiresAt: Date;
  consumedAt: Date | null;
  createdAt: Date;
}

function toInteraction(row: Row): SignInInteraction {
  return {
    id: row.id,
    kind: row.kind as InteractionKind,
    subjectId: row.subjectId,
    orgId: row.orgId,
    clientId: row.clientId,
    stepsDone: row.stepsDone as SignInStep[],
    params: (row.params ?? {}) as JsonObject,
    expiresAt: row.expiresAt,
    consumedAt: row.consumedAt,
    createdAt: row.createdAt,
  };
}
