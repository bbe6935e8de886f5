import { Injectable } from '@nestjs/common';
import { Problems } from '@gatehouse/core';
import { SqlPool } from '@gatehouse/db';
import { createHash } from 'node:crypto';

/**
 * Reading the audit log: the query behind `GET /v1/audit`, the stream behind
 * `gatehouse audit export`, and the walk behind `gatehouse audit verify`.
 *
 * Everything pages by `chain_seq`, the position in the hash chain. It is assigned at
 * commit under the chain head's lock (migration 20261123050000_audit_hash_chain), so its
 * order is commit order: a reader that has seen position N will never later find a row
 * below N appear. (`seq` comes from a sequence at INSERT time and does not have that
 * property: a long transaction can commit a lower `seq` after a higher one is visible.)
 */

export interface AuditFilter {
  /** Org IDs the caller may see; null = all (platform admin, CLI). */
  visibleOrgIds: string[] | null;
  orgId?: string;
  actorId?: string;
  action?: string;
  targetId?: string;
  outcome?: 'success' | 'failure';
  since?: Date;
  until?: Date;
}

/** One event as the API and the export show it (docs/audit-events.md). */
export interface AuditEventView {
  id: string;
  position: number;
  occurred_at: string;
  action: string;
  outcome: string;
  actor: { id: string; tier: string | null } | null;
  org_id: string | null;
  target: { type: string | null; id: string } | null;
  reason: string | null;
  request_id: string | null;
  source_ip: string | null;
  jti: string | null;
  details: Record<string, unknown>;
  /** SHA-256 of the previous event's hash and this event's canonical text, hex. */
  hash: string | null;
}

export type ChainReport =
  | { ok: true; events: number; head: { position: number; hash: string } }
  | {
      ok: false;
      events: number;
      broken: { position: number; id: string | null; problem: string };
    };

interface Row {
  id: string;
  chain_seq: string | null;
  occurred_at: Date;
  action: string;
  outcome: string;
  actor_id: string | null;
  actor_tier: string | null;
  org_id: string | null;
  target_type: string | null;
  target_id: string | null;
  reason: string | null;
  request_id: string | null;
  source_ip: string | null;
  jti: string | null;
  details: Record<string, unknown>;
  hash: Buffer | null;
}

const GENESIS = Buffer.alloc(32);
const COLUMNS = `id, chain_seq, occurred_at, action, outcome, actor_id, actor_tier, org_id, target_type,
  target_id, reason, request_id, source_ip, jti, details, hash`;

@Injectable()
export class AuditLog {
  constructor(private readonly sql: SqlPool) {}

  /** One page, oldest first; `cursor` is the `next_cursor` of the previous page. */
  async page(
    filter: AuditFilter,
    page: { limit: number; cursor?: string },
  ): Promise<{ data: AuditEventView[]; next_cursor: string | null }> {
    const after = decodeAuditCursor(page.cursor);
    const rows = await this.select(filter, after, page.limit + 1);
    const more = rows.length > page.limit;
    const data = (more ? rows.slice(0, page.limit) : rows).map(toView);
    const last = data[data.length - 1];
    return { data, next_cursor: more && last ? encodeAuditCursor(last.position) : null };
  }

  /** Every matching event, oldest first, fetched in pages so memory stays flat. */
  async *stream(filter: AuditFilter, batch = 1000): AsyncGenerator<AuditEventView> {
    let after = 0;
    for (;;) {
      const rows = await this.select(filter, after, batch);
      for (const row of rows) yield toView(row);
      if (rows.length < batch) return;
      after = Number(rows[rows.length - 1]!.chain_seq);
    }
  }

  /**
   * Walks the whole chain in order and recomputes every hash. Stops at the first
   * problem: a row whose content no longer matches its hash, a gap or duplicate in the
   * positions (a deleted or injected row), a row outside the chain, or a head that does
   * not match the last row (rows cut from the end).
   */
  async verify(batch = 2000): Promise<ChainReport> {
    let prev = GENESIS;
    let position = 0;
    for (;;) {
      const rows = await this.sql.query<{ id: string; chain_seq: string; hash: Buffer | null; canonical: string }>(
        `SELECT id, chain_seq, hash, audit_event_canonical(e, e.chain_seq) AS canonical
           FROM audit_events e WHERE chain_seq > $1 ORDER BY chain_seq LIMIT $2`,
        [position, batch],
      );
      for (const row of rows) {
        const at = Number(row.chain_seq);
        if (at !== position + 1) {
          return broken(position, at === position ? row.id : null, at, position + 1);
        }
        const expected = createHash('sha256').update(prev).update(row.canonical, 'utf8').digest();
        if (!row.hash || !expected.equals(row.hash)) {
          return {
            ok: false,
            events: position,
            broken: { position: at, id: row.id, problem: 'content does not match its hash' },
          };
        }
        prev = expected;
        position = at;
      }
      if (rows.length < batch) break;
    }
    const [outside] = await this.sql.query<{ id: string }>(
      `SELECT id FROM audit_events WHERE chain_seq IS NULL ORDER BY seq LIMIT 1`,
    );
    if (outside) {
      return {
        ok: false,
        events: position,
        broken: { position: 0, id: outside.id, problem: 'row is not in the chain' },
      };
    }
    const [head] = await this.sql.query<{ chain_seq: string; hash: Buffer }>(
      `SELECT chain_seq, hash FROM audit_chain_head WHERE id = 1`,
    );
    if (!head || Number(head.chain_seq) !== position || !head.hash.equals(prev)) {
      return {
        ok: false,
        events: position,
        broken: {
          position: position + 1,
          id: null,
          problem: `chain head is at position ${head?.chain_seq ?? 'none'} but the last row is at ${position}: rows were removed from the end`,
        },
      };
    }
    return { ok: true, events: position, head: { position, hash: prev.toString('hex') } };
  }

  private select(filter: AuditFilter, after: number, limit: number): Promise<Row[]> {
    const where = ['chain_seq > $1'];
    const params: unknown[] = [after];
    const add = (clause: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(clause(`$${params.length}`));
    };
    if (filter.visibleOrgIds !== null) add((p) => `org_id = ANY(${p})`, filter.visibleOrgIds);
    if (filter.orgId !== undefined) add((p) => `org_id = ${p}`, filter.orgId);
    if (filter.actorId !== undefined) add((p) => `actor_id = ${p}`, filter.actorId);
    if (filter.action !== undefined) add((p) => `action = ${p}`, filter.action);
    if (filter.targetId !== undefined) add((p) => `target_id = ${p}`, filter.targetId);
    if (filter.outcome !== undefined) add((p) => `outcome = ${p}`, filter.outcome);
    if (filter.since !== undefined) add((p) => `occurred_at >= ${p}`, filter.since);
    if (filter.until !== undefined) add((p) => `occurred_at < ${p}`, filter.until);
    params.push(limit);
    return this.sql.query<Row>(
      `SELECT ${COLUMNS} FROM audit_events WHERE ${where.join(' AND ')} ORDER BY chain_seq LIMIT $${params.length}`,
      params,
    );
  }
}

function broken(position: number, duplicateId: string | null, found: number, expected: number): ChainReport {
  return {
    ok: false,
    events: position,
    broken: {
      position: expected,
      id: duplicateId,
      problem:
        found < expected
          ? `position ${found} appears twice`
          : `position ${expected} is missing (next row is at ${found}): a row was deleted`,
    },
  };
}

function toView(r: Row): AuditEventView {
  return {
    id: r.id,
    position: Number(r.chain_seq),
    occurred_at: r.occurred_at.toISOString(),
    action: r.action,
    outcome: r.outcome,
    actor: r.actor_id ? { id: r.actor_id, tier: r.actor_tier } : null,
    org_id: r.org_id,
    target: r.target_id ? { type: r.target_type, id: r.target_id } : null,
    reason: r.reason,
    request_id: r.request_id,
    source_ip: r.source_ip,
    jti: r.jti,
    details: r.details,
    hash: r.hash ? r.hash.toString('hex') : null,
  };
}

export function encodeAuditCursor(position: number): string {
  return Buffer.from(JSON.stringify({ after: position })).toString('base64url');
}

function decodeAuditCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'number' && Number.isSafeInteger(parsed.after) && parsed.after >= 0) {
      return parsed.after;
    }
  } catch {
    // fall through
  }
  throw Problems.validation([{ path: 'cursor', message: 'is not a cursor this API returned' }]);
}
