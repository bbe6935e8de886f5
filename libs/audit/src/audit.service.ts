import { Injectable } from '@nestjs/common';
import { inSpan, newId, type Tier } from '@gatehouse/core';
import {
  beforeCommit,
  databaseDeadline,
  DatabaseDeadlineExceeded,
  PrismaService,
  withDatabaseDeadline,
  SqlPool,
  SqlTransaction,
  type Tx,
  type Prisma,
  isDatabaseUnavailable,
  isOpenTransaction,
} from '@gatehouse/db';
import type { AuditAction } from './audit-actions';
import { redact } from './redact';

/** Where a request came from; every audit row carries it. */
export interface RequestMeta {
  requestId: string | null;
  sourceIp: string | null;
}

export const NO_REQUEST: RequestMeta = { requestId: null, sourceIp: null };

export interface AuditEntry {
  action: AuditAction;
  outcome: 'success' | 'failure';
  actor?: { id: string; tier: Tier | 'system' } | null;
  orgId?: string | null;
  target?: { type: string; id: string } | null;
  reason?: string | null;
  jti?: string | null;
  details?: Record<string, unknown>;
}

type AuditRow = Prisma.AuditEventCreateManyInput;

/** The columns the batch INSERT writes, each with the row field it takes (all as text). */
const AUDIT_COLUMNS: readonly (readonly [string, (r: AuditRow) => string | null | undefined])[] = [
  ['id', (r) => r.id],
  ['action', (r) => r.action],
  ['outcome', (r) => r.outcome],
  ['actor_id', (r) => r.actorId],
  ['actor_tier', (r) => r.actorTier],
  ['org_id', (r) => r.orgId],
  ['target_type', (r) => r.targetType],
  ['target_id', (r) => r.targetId],
  ['reason', (r) => r.reason],
  ['request_id', (r) => r.requestId],
  ['source_ip', (r) => r.sourceIp],
  ['jti', (r) => r.jti],
  ['details', (r) => JSON.stringify(r.details ?? {})],
];

/** Every column arrives as a text[]; `details` is cast to jsonb row by row. */
const AUDIT_INSERT =
  `INSERT INTO audit_events (${AUDIT_COLUMNS.map(([c]) => c).join(', ')}) ` +
  `SELECT ${AUDIT_COLUMNS.map(([c], i) => (c === 'details' ? `c${i + 1}::jsonb` : `c${i + 1}`)).join(', ')} ` +
  `FROM unnest(${AUDIT_COLUMNS.map((_, i) => `$${i + 1}::text[]`).join(', ')}) ` +
  `AS u(${AUDIT_COLUMNS.map((_, i) => `c${i + 1}`).join(', ')})`;

/**
 * The group commit's INSERT also reads the invalidation epoch (docs/control.md#live), FOR
 * SHARE: no change to a cached table can commit between this read and the flush's commit,
 * so the epoch covers every change committed before the tokens of the batch leave. The
 * INSERT runs first (the sub-select is an init plan evaluated before the row is locked), so
 * the chain head's lock is taken before the epoch's, in the order a changing transaction
 * takes them.
 */
const AUDIT_INSERT_WITH_EPOCH =
  `WITH ins AS (${AUDIT_INSERT} RETURNING 1) ` +
  `SELECT n::text AS n FROM cache_epoch WHERE id = 1 AND (SELECT count(*) FROM ins) >= 0 FOR SHARE`;

/**
 * Batches in flight at once: one. Rows that arrive while a flush commits wait for the next,
 * which takes them all: 3.8 rows a flush at the bench's 10 connections instead of 1.8 with
 * three in flight, PostgreSQL's CPU per token 157 → 85 µs, tokens/s 1.19 × (a token's
 * signature runs on the thread pool meanwhile, so the wait costs it nothing). Concurrent
 * flushes would serialise on the audit chain's head lock anyway
 * (docs/performance.md#one-flush-in-flight).
 */
const MAX_CONCURRENT_FLUSHES = 1;

/**
 * Rows of a group-commit flush that failed: whether they were committed is unknown (the
 * connection may have died during the COMMIT), so the tokens they name must be treated as
 * never delivered (docs/reliability.md#unknown-flush-outcome).
 */
export interface UnknownFlushOutcome {
  /** `token.issued` rows of the failed batch: jti, the client, when it was issued. */
  tokens: { jti: string; clientId: string | null; requestId: string | null }[];
  error: unknown;
}

/**
 * The one writer of audit events. A change and its event are written in the same
 * transaction (pass the `tx`), so no change commits without its row and no row claims a
 * change that rolled back. Details are redacted before they are written.
 */
@Injectable()
export class AuditService {
  private queue: {
    row: Prisma.AuditEventCreateManyInput;
    /** The waiting request's database deadline (request-deadline.ts in libs/db). */
    deadline: number | null;
    resolve: (epoch: number | null) => void;
    reject: (err: unknown) => void;
  }[] = [];
  private flushers = 0;
  /** Rows of open transactions (Prisma's or SqlPool's), written just before each commits. */
  private readonly pendingByTx = new WeakMap<object, Prisma.AuditEventCreateManyInput[]>();
  private readonly flushListeners: ((rows: number, seconds: number, ok: boolean) => void)[] = [];
  private readonly unknownOutcomeListeners: ((o: UnknownFlushOutcome) => void)[] = [];

  constructor(
    private readonly prisma: PrismaService,
    private readonly sql: SqlPool,
  ) {}

  /**
   * Group commit for events that accompany no other change (a token issued by the
   * client-credentials grant): rows queued while INSERTs are in flight go out together in
   * the next, one commit — one WAL flush — for many requests. Each caller's promise
   * resolves only after its row has committed, so the response still waits for its audit
   * row (docs/design.md §8). At low load a row is written at once, alone. Resolves with the
   * invalidation epoch the flush observed (null if the database has none).
   */
  recordGrouped(meta: RequestMeta, entry: AuditEntry): Promise<number | null> {
    // docs/reliability.md#traces: from queueing the row to its commit, as a child span.
    return inSpan(
      'audit flush',
      { 'gatehouse.audit_action': entry.action },
      () =>
        new Promise<number | null>((resolve, reject) => {
          this.queue.push({ row: this.toRow(meta, entry), deadline: databaseDeadline(), resolve, reject });
          // The flush serves every waiting request, not the one that started it: it runs under
          // no request's deadline, and each batch under its own (below).
          if (this.flushers < MAX_CONCURRENT_FLUSHES) void withDatabaseDeadline(null, () => this.flush());
        }),
    );
  }

  /** libs/tokens registers here to revoke the tokens of a flush whose outcome is unknown. */
  /** Metrics: every group-commit flush, its size and how long it took (docs/reliability.md#metrics). */
  onFlushed(listener: (rows: number, seconds: number, ok: boolean) => void): void {
    this.flushListeners.push(listener);
  }

  onUnknownFlushOutcome(listener: (o: UnknownFlushOutcome) => void): void {
    this.unknownOutcomeListeners.push(listener);
  }

  private async flush(): Promise<void> {
    this.flushers++;
    try {
      while (this.queue.length > 0) {
        // docs/reliability.md#every-request-answered-within-3-s: a row whose request is past
        // its deadline is not written (its caller answers 503, and no row claims its token);
        // the batch runs under the earliest deadline of those left.
        const now = Date.now();
        const taken = this.queue.splice(0, 1000);
        for (const b of taken.filter((t) => t.deadline !== null && t.deadline <= now)) {
          b.reject(new DatabaseDeadlineExceeded());
        }
        const batch = taken.filter((t) => t.deadline === null || t.deadline > now);
        if (batch.length === 0) continue;
        const deadlines = batch.map((b) => b.deadline).filter((d): d is number => d !== null);
        const deadline = deadlines.length > 0 ? Math.min(...deadlines) : null;
        const started = process.hrtime.bigint();
        const flushed = (ok: boolean) => {
          const s = Number(process.hrtime.bigint() - started) / 1e9;
          for (const l of this.flushListeners) l(batch.length, s, ok);
        };
        try {
          const epoch = await withDatabaseDeadline(deadline, () => this.insertGrouped(batch.map((b) => b.row)));
          flushed(true);
          for (const b of batch) b.resolve(epoch);
        } catch (err) {
          flushed(false);
          // Tell the revocation state first: by the time a caller answers 503, its token is dead.
          this.unknownOutcome(
            batch.map((b) => b.row),
            err,
          );
          for (const b of batch) b.reject(err);
          // docs/reliability.md#postgresql-hung: rows queued behind a flush that found the
          // database unreachable or hung are not sent into the same wait (each would add a
          // query timeout to its request's answer): never written, they fail at once.
          if (isDatabaseUnavailable(err)) for (const b of this.queue.splice(0)) b.reject(err);
        }
      }
    } finally {
      this.flushers--;
    }
  }

  private unknownOutcome(rows: Prisma.AuditEventCreateManyInput[], error: unknown): void {
    const tokens = rows
      .filter((r) => r.action === 'token.issued' && r.outcome === 'success' && r.jti)
      .map((r) => ({
        jti: r.jti!,
        clientId: r.actorTier === 'app' ? (r.actorId ?? null) : null,
        requestId: r.requestId ?? null,
      }));
    if (tokens.length === 0) return;
    for (const listener of this.unknownOutcomeListeners) listener({ tokens, error });
  }

  /**
   * Inside a transaction (`tx`), the row is written at the end of it, just before it
   * commits, together with the transaction's other audit rows in one INSERT. That keeps
   * the audit chain head's row lock (taken by the first audit INSERT, held to commit —
   * migration 20261123090000_audit_chain_at_insert) the last lock the transaction takes, so
   * it cannot deadlock with the locks of the audited change. Given PrismaService itself,
   * the row is written at once, alone.
   */
  async record(db: Tx | PrismaService | SqlTransaction, meta: RequestMeta, entry: AuditEntry): Promise<void> {
    const row = this.toRow(meta, entry);
    if (db instanceof SqlTransaction) {
      // The same discipline on a node-postgres transaction: one INSERT just before COMMIT.
      return this.deferToCommit(
        db,
        row,
        (hook) => db.beforeCommit(hook),
        (rows) => this.insertMany(rows, (text, params, name) => db.query(text, params, name)),
      );
    }
    if (!isTransaction(db)) {
      await (db as PrismaService).auditEvent.create({ data: row });
      return;
    }
    const tx = db as Tx;
    this.deferToCommit(
      tx,
      row,
      (hook) => beforeCommit(tx, hook),
      async (rows) => {
        await tx.auditEvent.createMany({ data: rows });
      },
    );
  }

  /** Collects a transaction's rows and writes them in one statement from one before-commit hook. */
  private deferToCommit(
    tx: object,
    row: Prisma.AuditEventCreateManyInput,
    register: (hook: () => Promise<void>) => void,
    write: (rows: Prisma.AuditEventCreateManyInput[]) => Promise<void>,
  ): void {
    const pending = this.pendingByTx.get(tx);
    if (pending) {
      pending.push(row);
      return;
    }
    const rows = [row];
    this.pendingByTx.set(tx, rows);
    register(async () => {
      // A row recorded from a later hook starts a batch (and a hook) of its own.
      this.pendingByTx.delete(tx);
      await write(rows);
    });
  }

  /** For events that accompany no change (a refused login): written on their own. */
  recordAlone(meta: RequestMeta, entry: AuditEntry): Promise<void> {
    return this.record(this.prisma, meta, entry);
  }

  /**
   * One INSERT for the whole batch, one commit. Its text is the same for any number of rows
   * (one array a column, unnest() turns them into rows, in order), so it is a prepared
   * statement: PostgreSQL parses and plans it once per connection, not once a flush
   * (docs/performance.md#prepared-statements).
   */
  private async insertMany(
    rows: Prisma.AuditEventCreateManyInput[],
    query: (text: string, params: unknown[], name: string) => Promise<unknown> = (text, params, name) =>
      this.sql.query(text, params, name),
  ): Promise<void> {
    const columns = AUDIT_COLUMNS.map(([, field]) => rows.map((r) => field(r) ?? null));
    await query(AUDIT_INSERT, columns, 'gatehouse_audit_insert');
  }

  /** The group commit's flush: insertMany's statement, and the epoch it held (AUDIT_INSERT_WITH_EPOCH). */
  private async insertGrouped(rows: Prisma.AuditEventCreateManyInput[]): Promise<number | null> {
    const columns = AUDIT_COLUMNS.map(([, field]) => rows.map((r) => field(r) ?? null));
    const result = await this.sql.query<{ n: string }>(
      AUDIT_INSERT_WITH_EPOCH,
      columns,
      'gatehouse_audit_insert_epoch',
    );
    const n = Number(result[0]?.n);
    return Number.isSafeInteger(n) ? n : null;
  }

  private toRow(meta: RequestMeta, e: AuditEntry): Prisma.AuditEventCreateInput & Prisma.AuditEventCreateManyInput {
    return {
      id: newId('audit'),
      action: e.action,
      outcome: e.outcome,
      actorId: e.actor?.id ?? null,
      actorTier: e.actor?.tier ?? null,
      orgId: e.orgId ?? null,
      targetType: e.target?.type ?? null,
      targetId: e.target?.id ?? null,
      reason: e.reason ?? null,
      requestId: meta.requestId,
      sourceIp: meta.sourceIp,
      jti: e.jti ?? null,
      details: redact(e.details ?? {}) as Prisma.InputJsonValue,
    };
  }
}

/**
 * A transaction of PrismaService.transaction (the commit-hook registry knows it). Not by shape:
 * Prisma 7's transaction client also answers `$transaction`, and testing for it sent every
 * transaction's audit rows out at once, taking the chain head's lock mid-transaction.
 */
function isTransaction(db: Tx | PrismaService): boolean {
  return isOpenTransaction(db);
}
