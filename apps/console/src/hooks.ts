import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from './api/client';
import type { Page } from './api/types';

export type Async<T> = { state: 'loading' } | { state: 'error'; error: Error } | { state: 'ready'; data: T };

/**
 * Loads `fn` now and whenever `deps` change; `reload` runs it again. A reload keeps showing
 * what is there (and any error an action shows beside it); new deps mean another resource,
 * so its page shows "loading" until that resource answers.
 */
export function useAsync<T>(fn: () => Promise<T>, deps: unknown[]): Async<T> & { reload: () => void } {
  const key = JSON.stringify(deps);
  const [result, setResult] = useState<{ key: string; value: Async<T> } | null>(null);
  const [tick, setTick] = useState(0);
  // The latest `fn` (a new closure every render) without making it a dependency: what is
  // loaded changes only with `deps`.
  const latest = useRef(fn);
  useEffect(() => {
    latest.current = fn;
  });
  useEffect(() => {
    let live = true;
    latest.current().then(
      (data) => live && setResult({ key, value: { state: 'ready', data } }),
      (error: Error) => live && setResult({ key, value: { state: 'error', error } }),
    );
    return () => {
      live = false;
    };
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const value: Async<T> = result && result.key === key ? result.value : { state: 'loading' };
  return { ...value, reload };
}

interface PagedList<T> {
  /** The path (and tick) these items were loaded for. */
  key: string;
  items: T[];
  cursor: string | null;
  error: Error | null;
  loading: boolean;
}

/**
 * A cursor-paged list: the first page, then "Load more" appends the next. A reload or a new
 * path keeps the items shown until the new first page replaces them.
 */
export function usePaged<T>(path: string, pageSize = 20) {
  const [tick, setTick] = useState(0);
  const key = `${tick}:${path}`;
  const [list, setList] = useState<PagedList<T> | null>(null);
  const sep = path.includes('?') ? '&' : '?';

  const fetchPage = useCallback(
    (after: string | null) =>
      api<Page<T>>('GET', `${path}${sep}limit=${pageSize}${after ? `&cursor=${encodeURIComponent(after)}` : ''}`),
    [path, pageSize, sep],
  );

  useEffect(() => {
    let live = true;
    fetchPage(null).then(
      (page) => live && setList({ key, items: page.data, cursor: page.next_cursor, error: null, loading: false }),
      (error: Error) =>
        live && setList((prev) => ({ key, items: prev?.items ?? [], cursor: null, error, loading: false })),
    );
    return () => {
      live = false;
    };
  }, [fetchPage, key]);

  const current = list?.key === key ? list : null;
  const loadMore = () => {
    if (!current?.cursor) return;
    const after = current.cursor;
    // Only the list this page belongs to takes it (not one a reload or a new path replaced).
    const update = (change: Partial<PagedList<T>> | ((prev: PagedList<T>) => Partial<PagedList<T>>)) =>
      setList((prev) =>
        prev && prev.key === key ? { ...prev, ...(typeof change === 'function' ? change(prev) : change) } : prev,
      );
    update({ loading: true });
    fetchPage(after).then(
      (page) => update((prev) => ({ items: [...prev.items, ...page.data], cursor: page.next_cursor, loading: false })),
      (error: Error) => update({ error, loading: false }),
    );
  };
  const state: 'loading' | 'ready' | 'error' =
    !current || current.loading ? 'loading' : current.error ? 'error' : 'ready';

  return {
    items: list?.items ?? [],
    state,
    error: current?.error ?? null,
    hasMore: !!current?.cursor,
    loadMore,
    reload: () => setTick((t) => t + 1),
  };
}
