import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from './api/client';
import type { Page } from './api/types';

export type Async<T> = { state: 'loading' } | { state: 'error'; error: Error } | { state: 'ready'; data: T };

/** Loads `fn` now and whenever `deps` change; `reload` runs it again. */
export function useAsync<T>(fn: () => Promise<T>, deps: unknown[]): Async<T> & { reload: () => void } {
  const [result, setResult] = useState<Async<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  const lastDeps = useRef<string | null>(null);
  useEffect(() => {
    let live = true;
    // A reload keeps showing what is there (and any error an action shows beside it);
    // new deps mean another resource, so its page starts from "loading".
    const key = JSON.stringify(deps);
    if (key !== lastDeps.current) {
      lastDeps.current = key;
      setResult({ state: 'loading' });
    }
    fn().then(
      (data) => live && setResult({ state: 'ready', data }),
      (error: Error) => live && setResult({ state: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...result, reload };
}

/** A cursor-paged list: the first page, then "Load more" appends the next. */
export function usePaged<T>(path: string, pageSize = 20) {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'error'>('loading');
  const [error, setError] = useState<Error | null>(null);
  const [tick, setTick] = useState(0);
  const sep = path.includes('?') ? '&' : '?';

  const load = useCallback(
    async (after: string | null, append: boolean) => {
      setState('loading');
      try {
        const q = `${sep}limit=${pageSize}${after ? `&cursor=${encodeURIComponent(after)}` : ''}`;
        const page = await api<Page<T>>('GET', path + q);
        setItems((prev) => (append ? [...prev, ...page.data] : page.data));
        setCursor(page.next_cursor);
        setState('ready');
      } catch (e) {
        setError(e as Error);
        setState('error');
      }
    },
    [path, pageSize, sep],
  );

  useEffect(() => {
    void load(null, false);
  }, [load, tick]);

  return {
    items,
    state,
    error,
    hasMore: cursor !== null,
    loadMore: () => void load(cursor, true),
    reload: () => setTick((t) => t + 1),
  };
}
