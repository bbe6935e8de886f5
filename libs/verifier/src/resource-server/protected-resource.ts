import { VerifierError, type VerifierErrorCode } from '../errors';
import type { VerifiedPrincipal } from '../principal';
import { createVerifier, type Verifier, type VerifierOptions } from '../verifier';
import { bearerChallenge } from './challenge';
import {
  protectedResourceMetadata,
  protectedResourceMetadataPaths,
  protectedResourceMetadataUrl,
  type ProtectedResourceMetadata,
} from './metadata';

/**
 * Options of {@link createProtectedResource}.
 *
 * @example
 * ```ts
 * const options: ProtectedResourceOptions = {
 *   resource: 'https://mcp.example.com/mcp',
 *   issuer: 'https://id.example.com',
 *   scopesSupported: ['notes:read', 'notes:write'],
 *   verifierOptions: { revocations: { credentials: { clientId, clientSecret } } },
 * };
 * ```
 */
export interface ProtectedResourceOptions {
  /**
   * The resource identifier, exactly as registered at Gatehouse (`gatehouse resources create`):
   * tokens must carry it, and only it, as `aud`.
   */
  resource: string;
  /** Gatehouse's issuer URL, exactly as in the tokens' `iss`. */
  issuer: string;
  /** RFC 9728 `authorization_servers` (default: the issuer). */
  authorizationServers?: string[];
  /** RFC 9728 `scopes_supported`: the scopes the resource declares at Gatehouse. */
  scopesSupported?: string[];
  resourceName?: string;
  resourceDocumentation?: string;
  /** Also answer the root well-known path, which clients fall back to (default true). */
  rootMetadata?: boolean;
  /** `Cache-Control: max-age` of the metadata (default 3600 s). */
  metadataMaxAgeS?: number;
  /** The `realm` of the challenges (RFC 6750 §3), if any. */
  realm?: string;
  /** A verifier to share; by default one is created for this issuer and resource. */
  verifier?: Verifier;
  /** Options of the verifier created by default (revocation feed, timeouts, …). */
  verifierOptions?: Omit<VerifierOptions, 'issuer' | 'audience'>;
}

/**
 * An HTTP request as the core sees it, whatever the framework.
 *
 * @example
 * ```ts
 * const request: ProtectedRequest = { method: req.method, url: req.url, authorization: req.headers.authorization };
 * ```
 */
export interface ProtectedRequest {
  method: string;
  /** The request target as received: path and query. */
  url: string;
  /** The `Authorization` header. */
  authorization: string | string[] | undefined;
}

/**
 * What to do with a request: let it through with its principal, or answer it as given (a
 * `respond` outcome may be shared between requests: treat it as read-only).
 *
 * @example
 * ```ts
 * const outcome: ProtectedOutcome = await notes.handle(request, ['notes:read']);
 * if (outcome.kind === 'respond') res.writeHead(outcome.status, outcome.headers).end(outcome.body);
 * ```
 */
export type ProtectedOutcome =
  | { kind: 'allow'; principal: VerifiedPrincipal; token: string }
  | { kind: 'respond'; status: number; headers: Record<string, string>; body: string };

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const NO_SCOPES: readonly string[] = Object.freeze([]);
/** Distinct refusals kept rendered: a server has a handful of scope sets and error texts. */
const RENDERED_MAX = 256;
const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } as const;

/**
 * A resource server's side of Gatehouse's MCP profile (docs/resources.md#the-resource-server):
 * publishes its RFC 9728 metadata, verifies bearer tokens offline, requires `aud` to be this
 * resource exactly, and refuses with the challenges clients act on — 401 with
 * `resource_metadata` and the scopes needed, 403 `insufficient_scope` naming every scope the
 * operation needs. One core ({@link handle}); the Express, Fastify, Nest and node:http helpers
 * are thin adapters over it.
 *
 * @example
 * ```ts
 * const notes = createProtectedResource({
 *   resource: 'https://mcp.example.com/mcp',
 *   issuer: 'https://id.example.com',
 *   scopesSupported: ['notes:read', 'notes:write'],
 * });
 * const outcome = await notes.handle({ method: req.method, url: req.url, authorization: req.headers.authorization }, ['notes:read']);
 * if (outcome.kind === 'respond') res.writeHead(outcome.status, outcome.headers).end(outcome.body);
 * else serve(req, res, outcome.principal);
 * ```
 */
export class ProtectedResource {
  readonly resource: string;
  /** The RFC 9728 document this resource publishes. */
  readonly metadata: Readonly<ProtectedResourceMetadata>;
  /** The path-aware URL of the metadata (RFC 9728 §3.1), named in every challenge. */
  readonly metadataUrl: string;
  /** The request paths that answer with the metadata. */
  readonly metadataPaths: readonly string[];
  readonly verifier: Verifier;
  private readonly paths: ReadonlySet<string>;
  private readonly metadataBody: string;
  private readonly metadataHeaders: Record<string, string>;
  private readonly realm?: string;
  private readonly ownsVerifier: boolean;
  private readonly rendered = new Map<string, Extract<ProtectedOutcome, { kind: 'respond' }>>();

  constructor(options: ProtectedResourceOptions) {
    if (!options.issuer) throw new TypeError('createProtectedResource: issuer is required');
    this.resource = options.resource;
    this.metadata = Object.freeze(
      protectedResourceMetadata({
        resource: options.resource,
        authorizationServers: options.authorizationServers ?? [options.issuer],
        scopesSupported: options.scopesSupported,
        resourceName: options.resourceName,
        resourceDocumentation: options.resourceDocumentation,
      }),
    );
    this.metadataUrl = protectedResourceMetadataUrl(options.resource);
    this.metadataPaths = Object.freeze(protectedResourceMetadataPaths(options.resource, options.rootMetadata ?? true));
    this.paths = new Set(this.metadataPaths);
    this.metadataBody = JSON.stringify(this.metadata);
    this.metadataHeaders = {
      'Content-Type': 'application/json',
      'Cache-Control': `public, max-age=${options.metadataMaxAgeS ?? 3600}`,
      // Public metadata, read by browser-based clients from other origins.
      'Access-Control-Allow-Origin': '*',
    };
    this.realm = options.realm;
    this.ownsVerifier = !options.verifier;
    this.verifier =
      options.verifier ??
      createVerifier({ ...options.verifierOptions, issuer: options.issuer, audience: options.resource });
  }

  /**
   * Whether `path` (no query string) is one of {@link metadataPaths}.
   *
   * @example
   * ```ts
   * notes.isMetadataPath('/.well-known/oauth-protected-resource/mcp'); // true
   * ```
   */
  isMetadataPath(path: string): boolean {
    return this.paths.has(path);
  }

  /**
   * The one core every adapter calls: the metadata for a request to a metadata path; otherwise
   * the bearer token verified and {@link authenticate}d, with `scopes` the operation needs.
   *
   * @example
   * ```ts
   * const outcome = await notes.handle({ method: 'GET', url: '/mcp', authorization: 'Bearer eyJ…' }, ['notes:read']);
   * ```
   */
  handle(req: ProtectedRequest, scopes: readonly string[] = NO_SCOPES): Promise<ProtectedOutcome> {
    const q = req.url.indexOf('?');
    if (this.paths.has(q < 0 ? req.url : req.url.slice(0, q))) {
      return Promise.resolve(this.metadataResponse(req.method));
    }
    return this.authenticate(req.authorization, scopes);
  }

  /**
   * Verifies the bearer token of an `Authorization` header (signature, issuer, lifetime,
   * revocation), requires `aud` to be exactly this resource, then {@link authorize}s `scopes`.
   *
   * @example
   * ```ts
   * const outcome = await notes.authenticate(req.headers.authorization, ['notes:read']);
   * ```
   */
  authenticate(
    authorization: string | string[] | undefined,
    scopes: readonly string[] = NO_SCOPES,
  ): Promise<ProtectedOutcome> {
    if (authorization === undefined || authorization === '') {
      return Promise.resolve(this.refusal('token_missing', 'A bearer access token is required.', scopes));
    }
    const m = typeof authorization === 'string' ? BEARER.exec(authorization) : null;
    if (!m) {
      return Promise.resolve(
        this.refusal('invalid_request', 'The Authorization header is not a single Bearer token.', scopes),
      );
    }
    const token = m[1];
    // Plain promises rather than async functions: on the hot path the verifier resolves at
    // once, and each extra async layer costs a promise and microtask turns per request
    // (bench/verify-bench.mjs).
    return this.verifier.verify(token).then(
      (principal) => this.admit(principal, token, scopes),
      (err: unknown) => {
        if (!(err instanceof VerifierError)) throw err;
        return Object.keys(err.headers).length
          ? this.refuse(err, scopes)
          : this.refusal(err.code, err.description, scopes);
      },
    );
  }

  private admit(principal: VerifiedPrincipal, token: string, scopes: readonly string[]): ProtectedOutcome {
    // RFC 9449 §7.1: a DPoP-bound token sent as a bearer token is refused (whoever copied it
    // lacks the key); DpopVerifier is the way to accept bound tokens.
    if (principal.claims.cnf !== undefined) {
      return this.refusal(
        'dpop_required',
        'This token is DPoP-bound: send it with the DPoP scheme and a proof.',
        scopes,
      );
    }
    // RFC 8707 / the MCP profile: a token for this resource names it, and nothing else.
    if (principal.aud.length !== 1 || principal.aud[0] !== this.resource) {
      return this.refusal('audience_invalid', 'The token is meant for another audience.', scopes);
    }
    return this.lacks(principal, scopes) ?? { kind: 'allow', principal, token };
  }

  /**
   * The scope check alone, for a principal already authenticated: 403 `insufficient_scope`
   * naming every scope the operation needs (so a client can step up to all of them at once),
   * or `allow`. `token` is empty in the `allow` it returns.
   *
   * @example
   * ```ts
   * // after reading the body: this tool needs more than the route did
   * const outcome = notes.authorize(principal, ['notes:read', 'notes:write']);
   * ```
   */
  authorize(principal: VerifiedPrincipal, scopes: readonly string[]): ProtectedOutcome {
    return this.lacks(principal, scopes) ?? { kind: 'allow', principal, token: '' };
  }

  /** The 403 for the first scope the principal lacks, or undefined. */
  private lacks(principal: VerifiedPrincipal, scopes: readonly string[]): ProtectedOutcome | undefined {
    for (let i = 0; i < scopes.length; i++) {
      if (!principal.scopes.includes(scopes[i])) {
        const missing = scopes.filter((x) => !principal.scopes.includes(x));
        return this.refusal('insufficient_scope', `This operation needs the scope ${missing.join(' ')}.`, scopes);
      }
    }
    return undefined;
  }

  /**
   * The answer for a refusal: the error's status and body, and a challenge naming the
   * metadata URL and the scopes needed (RFC 9728 §5.1; RFC 6750 §3).
   *
   * @example
   * ```ts
   * const { status, headers, body } = notes.refuse(new VerifierError('token_missing', 'Sign in.'), ['notes:read']);
   * ```
   */
  refuse(err: VerifierError, scopes: readonly string[] = []): Extract<ProtectedOutcome, { kind: 'respond' }> {
    const headers: Record<string, string> = { ...JSON_HEADERS, ...err.headers };
    if (err.status === 400 || err.status === 401 || err.status === 403) {
      headers['WWW-Authenticate'] = bearerChallenge({
        resourceMetadata: this.metadataUrl,
        scopes,
        // A Bearer challenge carries RFC 6750's codes only; a DPoP refusal is an invalid token to it.
        error:
          err.bearerError === 'invalid_dpop_proof' || err.bearerError === 'use_dpop_nonce'
            ? 'invalid_token'
            : err.bearerError,
        errorDescription: err.description,
        realm: this.realm,
      });
    }
    return { kind: 'respond', status: err.status, headers, body: JSON.stringify(err.toJSON()) };
  }

  /**
   * {@link refuse} for an error without headers of its own, rendered once per distinct error
   * and scope set (building the challenge and the body costs as much as a verification's
   * bookkeeping; bench/verify-bench.mjs). The answer is shared: treat it as read-only.
   */
  private refusal(
    code: VerifierErrorCode,
    description: string,
    scopes: readonly string[],
  ): Extract<ProtectedOutcome, { kind: 'respond' }> {
    const key = `${code}\n${description}\n${scopes.join(' ')}`;
    let answer = this.rendered.get(key);
    if (!answer) {
      if (this.rendered.size >= RENDERED_MAX) this.rendered.clear();
      answer = this.refuse(new VerifierError(code, description), scopes);
      Object.freeze(answer.headers);
      this.rendered.set(key, Object.freeze(answer));
    }
    return answer;
  }

  /**
   * Stops the background work (the revocation feed) of the verifier it created, so the process
   * can exit; a verifier passed in as `options.verifier` is left to its owner.
   *
   * @example
   * ```ts
   * process.once('SIGTERM', () => notes.close());
   * ```
   */
  close(): void {
    if (this.ownsVerifier) this.verifier.close();
  }

  private metadataResponse(method: string): ProtectedOutcome {
    if (method === 'GET' || method === 'HEAD') {
      return { kind: 'respond', status: 200, headers: { ...this.metadataHeaders }, body: this.metadataBody };
    }
    if (method === 'OPTIONS') {
      return {
        kind: 'respond',
        status: 204,
        headers: {
          'Access-Control-Allow-Origin': '*',
          'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
          'Access-Control-Allow-Headers': 'MCP-Protocol-Version',
          'Access-Control-Max-Age': '86400',
        },
        body: '',
      };
    }
    return {
      kind: 'respond',
      status: 405,
      headers: { ...JSON_HEADERS, Allow: 'GET, HEAD, OPTIONS' },
      body: JSON.stringify({ error: 'method_not_allowed', error_description: 'The metadata is read with GET.' }),
    };
  }
}

/**
 * Creates a {@link ProtectedResource}.
 *
 * @example
 * ```ts
 * import { createProtectedResource } from '@gatehouse/verifier';
 *
 * const notes = createProtectedResource({
 *   resource: 'https://mcp.example.com/mcp',
 *   issuer: 'https://id.example.com',
 *   scopesSupported: ['notes:read', 'notes:write'],
 *   resourceName: 'Example notes',
 * });
 * await notes.verifier.ready();
 * ```
 */
export function createProtectedResource(options: ProtectedResourceOptions): ProtectedResource {
  return new ProtectedResource(options);
}
