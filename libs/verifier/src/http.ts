/** The subset of `fetch` the verifier uses, so tests and other runtimes can supply their own. */
export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/** GET or POST with a deadline; the caller decides what a status means. */
export async function request(fetchFn: FetchLike, url: string, init: RequestInit, timeoutMs: number) {
  return fetchFn(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
}

export async function readJson(res: Response, what: string): Promise<Record<string, unknown>> {
  const body: unknown = await res.json().catch(() => null);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new Error(`${what}: the response is not a JSON object`);
  }
  return body as Record<string, unknown>;
}

/** RFC 9111 §5.2.2.1 max-age, in seconds; `undefined` when absent. */
export function maxAgeOf(cacheControl: string | null): number | undefined {
  if (!cacheControl) return undefined;
  if (/(^|,)\s*(no-store|no-cache)\s*(,|$)/i.test(cacheControl)) return 0;
  const m = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(cacheControl);
  return m ? Number(m[1]) : undefined;
}
