import { Problems } from '@gatehouse/core';

/**
 * Cursor pagination over ULID-ordered IDs: the cursor is an opaque token naming the last
 * row returned, so pages stay stable while rows are added.
 */
export interface PageRequest {
  limit: number;
  cursor?: string;
  /**
   * `oldest` (the default) or `newest` first. IDs are ULIDs, so ID order is creation order;
   * a cursor continues in the order of the request that returned it (docs/console.md#search).
   */
  order?: 'oldest' | 'newest';
  /** Search (list endpoints that offer it): see searchWhere. */
  q?: string;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string' && /^[a-z]{3}_[0-9A-Z]{26}$/.test(parsed.after)) return parsed.after;
  } catch {
    // fall through
  }
  throw Problems.validation([{ path: 'cursor', message: 'is not a cursor this API returned' }]);
}

export function toPage<T extends { id: string }, R>(rows: T[], limit: number, map: (row: T) => R): Page<R> {
  const more = rows.length > limit;
  const data = more ? rows.slice(0, limit) : rows;
  const last = data[data.length - 1];
  return {
    data: data.map(map),
    next_cursor: more && last ? Buffer.from(JSON.stringify({ after: last.id })).toString('base64url') : null,
  };
}

/** Prisma arguments for one page: one extra row tells whether another page exists. */
export function pageArgs(page: PageRequest) {
  const after = decodeCursor(page.cursor);
  const newest = page.order === 'newest';
  return {
    take: page.limit + 1,
    orderBy: { id: newest ? ('desc' as const) : ('asc' as const) },
    ...(after ? { where: { id: newest ? { lt: after } : { gt: after } } } : {}),
  };
}

/**
 * `?q=` on a list (docs/console.md#search): rows whose text fields contain the query,
 * case-insensitively, `%` and `_` taken literally (Prisma passes them to ILIKE as they are,
 * so they are escaped here with PostgreSQL's default escape, the backslash), or whose ID is
 * exactly the query.
 * Undefined when there is no query, so it can be spread into an `AND`.
 */
export function searchWhere(q: string | undefined, fields: string[]): { OR: Record<string, unknown>[] } | undefined {
  const query = q?.trim();
  if (!query) return undefined;
  const literal = query.replace(/[\\%_]/g, (c) => `\\${c}`);
  return {
    OR: [...fields.map((f) => ({ [f]: { contains: literal, mode: 'insensitive' } })), { id: query }],
  };
}
