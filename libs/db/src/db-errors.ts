/**
 * Classifies database errors by their SQLSTATE, wherever the driver put it: node-postgres
 * sets `code`, Prisma's pg adapter nests it as `cause.originalCode` (or deeper).
 */
function sqlStates(err: unknown): string[] {
  const found: string[] = [];
  const seen = new Set<unknown>();
  const stack: unknown[] = [err];
  while (stack.length > 0) {
    const e = stack.pop();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const o = e as Record<string, unknown>;
    for (const k of ['code', 'originalCode'] as const) {
      if (typeof o[k] === 'string' && /^[0-9A-Z]{5}$/.test(o[k])) found.push(o[k]);
    }
    stack.push(o.cause, o.meta, (o.meta as Record<string, unknown> | undefined)?.driverAdapterError);
  }
  return found;
}

/**
 * SQLSTATE class 22 ("data exception": 22021 invalid byte sequence, 22P05 untranslatable
 * character, 22001 string too long, …): the request carried a value PostgreSQL refuses.
 * The client's fault, answered 400 — never a 500 (docs/reliability.md#inputs).
 */
export function isDataError(err: unknown): boolean {
  return sqlStates(err).some((s) => s.startsWith('22'));
}

/** Prisma P2025: the row an update or delete named is gone (e.g. a concurrent delete won). */
export function isRecordNotFound(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'P2025';
}
