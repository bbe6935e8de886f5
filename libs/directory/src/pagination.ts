import { Problems } from '@gatehouse/core';

/**
 * Cursor pagination over ULID-ordered IDs: the cursor is an opaque token naming the last
 * row returned, so pages stay stable while rows are added.
 */
export interface PageRequest {
  limit: number;
  cursor?: string;
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
  return {
    take: page.limit + 1,
    orderBy: { id: 'asc' as const },
    ...(after ? { where: { id: { gt: after } } } : {}),
  };
}
