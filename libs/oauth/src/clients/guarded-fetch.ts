import { lookup as dnsLookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { classifyAddress } from './special-use-addresses';

/**
 * The one way Gatehouse fetches a URL a client gave it (a `jwks_uri`, a Client ID Metadata
 * Document): docs/client-authentication.md#the-guarded-fetcher. Every refusal is a
 * {@link GuardedFetchError} with one of these codes.
 */
export type GuardedFetchRefusal =
  /** Not an absolute URL, or one with userinfo or a fragment. */
  | 'invalid_url'
  /** Not https (http only on loopback, and only with GATEHOUSE_CIMD_ALLOW_LOOPBACK=true). */
  | 'scheme_not_allowed'
  /** The host is, or resolves to, a private or special-use address (or loopback, unless allowed). */
  | 'address_refused'
  /** The name does not resolve. */
  | 'dns_failed'
  /** A 3xx answer: redirects are never followed. */
  | 'redirect_refused'
  /** The body (or its Content-Length) is over the call's cap. */
  | 'too_large'
  /** No complete answer within the call's deadline (DNS, connection, TLS, headers and body together). */
  | 'timeout'
  /** Any status other than 200 (or 304 to a conditional request). */
  | 'http_status'
  /** The connection or TLS failed. */
  | 'network_error';

/** A refused fetch. `message` names the URL's origin and the reason, never a body. */
export class GuardedFetchError extends Error {
  constructor(
    readonly code: GuardedFetchRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'GuardedFetchError';
  }
}

export interface GuardedFetchPolicy {
  /**
   * GATEHOUSE_CIMD_ALLOW_LOOPBACK=true: loopback addresses are allowed, and plain http to
   * them, for development and tests. Never in production.
   */
  allowLoopback: boolean;
  /**
   * The certificates https is verified against, replacing Node's (which NODE_EXTRA_CA_CERTS
   * extends: operators use that). Tests of an in-process Gatehouse pass Node's roots plus
   * their own CA here, because NODE_EXTRA_CA_CERTS is read only when a process starts.
   */
  ca?: string[];
  /** Name resolution (default: the system resolver, every address); tests supply their own. */
  resolve?: (hostname: string) => Promise<{ address: string; family: number }[]>;
}

export interface GuardedFetchOptions {
  /** The largest body accepted, in bytes (default 5 KB, the metadata-document cap). */
  maxBytes?: number;
  /** The whole fetch's deadline, in milliseconds (default 3 s). */
  timeoutMs?: number;
  /** The Accept header (default `application/json`). */
  accept?: string;
  /** An entity tag to revalidate with (If-None-Match): a 304 answers with an empty body. */
  etag?: string;
}

export interface GuardedResponse {
  /** 200, or 304 to a conditional request. */
  status: 200 | 304;
  body: Buffer;
  /** Response headers, lower-case names. */
  headers: Record<string, string>;
  /** The address the connection went to: the one that was checked. */
  address: string;
}

export const DEFAULT_MAX_BYTES = 5 * 1024;
export const DEFAULT_TIMEOUT_MS = 3000;

/**
 * Fetches client-supplied URLs without letting them reach inside: https only (http to
 * loopback when allowed); the host resolved once, every address checked against the
 * special-use ranges, and the connection pinned to the checked address (the socket's
 * lookup answers with it), so a name that re-resolves elsewhere between check and connect
 * (DNS rebinding) cannot slip through; no redirects; a size cap on the body; one deadline
 * for the whole exchange. It neither caches nor parses: see {@link CachedDocuments}.
 *
 * @example
 * ```ts
 * const fetcher = new GuardedFetcher({ allowLoopback: false });
 * const res = await fetcher.fetch('https://client.example.com/jwks.json', { maxBytes: 64 * 1024 });
 * ```
 */
export class GuardedFetcher {
  private readonly resolve: (hostname: string) => Promise<{ address: string; family: number }[]>;

  constructor(private readonly policy: GuardedFetchPolicy) {
    this.resolve = policy.resolve ?? ((host) => dnsLookup(host, { all: true, verbatim: true }));
  }

  /** The URL if it may be fetched at all (scheme, form); registration checks it early with this. */
  checkUrl(value: string): URL {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new GuardedFetchError('invalid_url', 'The URL is not an absolute URL.');
    }
    if (url.username || url.password) throw new GuardedFetchError('invalid_url', 'The URL must not carry userinfo.');
    if (url.hash || value.includes('#'))
      throw new GuardedFetchError('invalid_url', 'The URL must not have a fragment.');
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.policy.allowLoopback)) {
      throw new GuardedFetchError('scheme_not_allowed', `${url.protocol} URLs are not fetched; use https.`);
    }
    return url;
  }

  async fetch(value: string, options: GuardedFetchOptions = {}): Promise<GuardedResponse> {
    const url = this.checkUrl(value);
    const origin = url.origin;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    const deadline = Date.now() + timeoutMs;
    const address = await withDeadline(this.pick(url), deadline, origin);
    if (url.protocol === 'http:' && classifyAddress(address.address) !== 'loopback') {
      throw new GuardedFetchError('scheme_not_allowed', `${origin}: plain http is allowed to loopback only.`);
    }
    return this.request(url, address, { ...options, maxBytes }, deadline);
  }

  /** Resolves the host and checks every address; the first is the one to connect to. */
  private async pick(url: URL): Promise<{ address: string; family: number }> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: { address: string; family: number }[];
    if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
    else {
      try {
        addresses = await this.resolve(host);
      } catch {
        throw new GuardedFetchError('dns_failed', `${url.origin}: the name does not resolve.`);
      }
      if (addresses.length === 0) throw new GuardedFetchError('dns_failed', `${url.origin}: the name has no address.`);
    }
    for (const a of addresses) {
      const cls = classifyAddress(a.address);
      if (cls === 'refused' || (cls === 'loopback' && !this.policy.allowLoopback)) {
        throw new GuardedFetchError('address_refused', `${url.origin}: resolves to a private or special-use address.`);
      }
    }
    return addresses[0]!;
  }

  private request(
    url: URL,
    pinned: { address: string; family: number },
    options: GuardedFetchOptions & { maxBytes: number },
    deadline: number,
  ): Promise<GuardedResponse> {
    const origin = url.origin;
    // The socket connects to the address that was checked, whatever the name resolves to now.
    const lookup: LookupFunction = (_host, opts, cb) => {
      if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: object[]) => void)(null, [pinned]);
      else cb(null, pinned.address, pinned.family);
    };
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<GuardedResponse>((resolve, reject) => {
      let settled = false;
      const fail = (err: GuardedFetchError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(err);
      };
      const req = client.request(
        url,
        {
          method: 'GET',
          agent: false,
          lookup,
          ...(this.policy.ca ? { ca: this.policy.ca } : {}),
          headers: {
            accept: options.accept ?? 'application/json',
            'user-agent': 'Gatehouse',
            ...(options.etag ? { 'if-none-match': options.etag } : {}),
          },
        },
        (res) =>
          this.read(res, origin, options, deadline).then((r) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve({ ...r, address: pinned.address });
          }, fail),
      );
      const timer = setTimeout(
        () => fail(new GuardedFetchError('timeout', `${origin}: no answer within the deadline.`)),
        Math.max(0, deadline - Date.now()),
      );
      req.on('error', () => fail(new GuardedFetchError('network_error', `${origin}: the connection failed.`)));
      req.end();
    });
  }

  private read(
    res: IncomingMessage,
    origin: string,
    options: GuardedFetchOptions & { maxBytes: number },
    deadline: number,
  ): Promise<Omit<GuardedResponse, 'address'>> {
    const status = res.statusCode ?? 0;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    if (status >= 300 && status < 400 && !(status === 304 && options.etag)) {
      res.resume();
      return Promise.reject(
        new GuardedFetchError('redirect_refused', `${origin}: answered ${status}; redirects are not followed.`),
      );
    }
    if (status !== 200 && status !== 304) {
      res.resume();
      return Promise.reject(new GuardedFetchError('http_status', `${origin}: answered ${status}.`));
    }
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      res.destroy();
      return Promise.reject(
        new GuardedFetchError('too_large', `${origin}: the body is over ${options.maxBytes} bytes.`),
      );
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) {
          res.destroy();
          reject(new GuardedFetchError('too_large', `${origin}: the body is over ${options.maxBytes} bytes.`));
        } else chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: status as 200 | 304, body: Buffer.concat(chunks), headers }));
      res.on('error', () =>
        reject(
          Date.now() >= deadline
            ? new GuardedFetchError('timeout', `${origin}: no answer within the deadline.`)
            : new GuardedFetchError('network_error', `${origin}: the connection failed.`),
        ),
      );
    });
  }
}

function withDeadline<T>(p: Promise<T>, deadline: number, origin: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new GuardedFetchError('timeout', `${origin}: no answer within the deadline.`)),
      Math.max(0, deadline - Date.now()),
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
