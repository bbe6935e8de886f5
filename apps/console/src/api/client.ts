/**
 * The console's one API client (docs/console.md#session). It calls only the public
 * management API. The access token lives in this module's memory, never in storage; the
 * refresh token lives in an HttpOnly cookie the page cannot read, sent only to
 * /v1/console/session/*. A 401 on a bearer call triggers one silent refresh and a retry.
 */

export interface Problem {
  status: number;
  code: string;
  title: string;
  detail?: string;
  errors?: { path: string; message: string }[];
  [extra: string]: unknown;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
  get status() {
    return this.problem.status;
  }
}

interface AccessGrant {
  access_token: string;
  expires_in: number;
  scope: string;
}

const CONSOLE_HEADERS = { 'x-gatehouse-console': '1' };

let accessToken: string | null = null;
let refreshing: Promise<boolean> | null = null;
let onSignedOut: () => void = () => undefined;

export function setSignedOutHandler(fn: () => void): void {
  onSignedOut = fn;
}

export function hasSession(): boolean {
  return accessToken !== null;
}

/** Enrolment uses the enrolment-only token the password step returned, held in memory too. */
export function holdEnrolmentToken(token: string): void {
  accessToken = token;
}

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  const body: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const p = (body ?? {}) as Partial<Problem> & { error?: string; error_description?: string };
    throw new ApiError({
      ...p,
      status: res.status,
      code: p.code ?? p.error ?? 'http_error',
      title: p.title ?? p.error_description ?? `HTTP ${res.status}`,
    });
  }
  return body as T;
}

async function send(method: string, path: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  const h: Record<string, string> = { ...headers };
  if (body !== undefined) h['content-type'] = 'application/json';
  return fetch(path, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
}

/**
 * One rotation at a time across every tab of this origin (Web Locks): two tabs presenting
 * the same cookie at once would look like reuse of a spent token and end the family. A tab
 * that waited sends the cookie the other tab's answer just set.
 */
function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  return locks ? locks.request('gatehouse-console-refresh', fn) : fn();
}

/** Rotates the refresh cookie; concurrent callers share one rotation (a spent token would end the family). */
export function refresh(): Promise<boolean> {
  refreshing ??= exclusive(() => send('POST', '/v1/console/session/refresh', undefined, CONSOLE_HEADERS))
    .then((res) => parse<AccessGrant>(res))
    .then((g) => {
      accessToken = g.access_token;
      return true;
    })
    .catch(() => {
      accessToken = null;
      return false;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** A bearer call to the management API. */
export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const auth = (): Record<string, string> => (accessToken ? { authorization: `Bearer ${accessToken}` } : {});
  let res = await send(method, path, body, auth());
  if (res.status === 401 && accessToken) {
    if (await refresh()) res = await send(method, path, body, auth());
    else onSignedOut();
  }
  return parse<T>(res);
}

/** A bearer call whose body is raw bytes of `type` (a branding logo). */
export async function apiUpload<T = unknown>(method: string, path: string, bytes: Blob, type: string): Promise<T> {
  const call = () =>
    fetch(path, {
      method,
      headers: { 'content-type': type, ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}) },
      body: bytes,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  let res = await call();
  if (res.status === 401 && accessToken && (await refresh())) res = await call();
  return parse<T>(res);
}

/** A public call (sign-in steps). */
export async function publicApi<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  return parse<T>(await send(method, path, body, {}));
}

export type PasswordStep =
  | { mfa_token: string; expires_in: number }
  | { mfa_enrollment_required: true; access_token: string; expires_in: number; scope: string };

export function signInPassword(email: string, password: string): Promise<PasswordStep> {
  return publicApi<PasswordStep>('POST', '/v1/admin/login', { email, password });
}

/** Second step through the console route: the refresh token comes back as a cookie only. */
export async function signInCode(mfaToken: string, code: string): Promise<void> {
  const res = await send('POST', '/v1/console/session', { mfa_token: mfaToken, code }, CONSOLE_HEADERS);
  accessToken = (await parse<AccessGrant>(res)).access_token;
}

export async function signOut(): Promise<void> {
  try {
    if (accessToken) {
      let res = await send('POST', '/v1/console/session/logout', undefined, {
        ...CONSOLE_HEADERS,
        authorization: `Bearer ${accessToken}`,
      });
      if (res.status === 401 && (await refresh())) {
        res = await send('POST', '/v1/console/session/logout', undefined, {
          ...CONSOLE_HEADERS,
          authorization: `Bearer ${accessToken}`,
        });
      }
    }
  } finally {
    accessToken = null;
  }
}

/** Path segment escaping for IDs the API returned. */
export const seg = (s: string) => encodeURIComponent(s);
