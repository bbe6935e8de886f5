import type { IncomingMessage, ServerResponse } from 'node:http';
import { attach, authenticatedRequest, type AuthenticatedRequest } from './authenticated';
import type { ProtectedOutcome, ProtectedResource } from './protected-resource';

/**
 * Options of the adapters: the scopes the route needs.
 *
 * @example
 * ```ts
 * const writes: ProtectOptions = { scopes: ['notes:read', 'notes:write'] };
 * app.delete('/notes/:id', expressProtectedResource(notes, writes), handler);
 * ```
 */
export interface ProtectOptions {
  /** Every scope the route needs; a token missing one is 403 `insufficient_scope` naming them all. */
  scopes?: readonly string[];
}

/**
 * Writes a `respond` outcome on a node:http response (Express's response is one too).
 *
 * @example
 * ```ts
 * const outcome = notes.authorize(principal, ['notes:write']);
 * if (outcome.kind === 'respond') return sendOutcome(res, outcome);
 * ```
 */
export function sendOutcome(res: ServerResponse, outcome: Extract<ProtectedOutcome, { kind: 'respond' }>): void {
  res.writeHead(outcome.status, outcome.headers).end(outcome.body);
}

/**
 * Plain node:http: answers the metadata paths and refusals itself and resolves to null, or
 * resolves to the verified principal and token (also attached to `req`, see
 * `authenticatedRequest`). A request already let through for the same resource is only checked
 * for the extra scopes.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createProtectedResource, protectNodeRequest } from '@gatehouse/verifier';
 *
 * const notes = createProtectedResource({ resource: 'https://mcp.example.com/mcp', issuer: 'https://id.example.com' });
 * createServer(async (req, res) => {
 *   const auth = await protectNodeRequest(notes, req, res, { scopes: ['notes:read'] });
 *   if (!auth) return; // answered: metadata, 401, 403
 *   res.end(`hello ${auth.principal.sub}`);
 * }).listen(8080);
 * ```
 */
export async function protectNodeRequest(
  resource: ProtectedResource,
  req: IncomingMessage,
  res: ServerResponse,
  options: ProtectOptions = {},
): Promise<AuthenticatedRequest | null> {
  const outcome = await outcomeFor(
    resource,
    req,
    req.method ?? 'GET',
    req.url ?? '/',
    req.headers.authorization,
    options,
  );
  if (outcome.kind === 'respond') {
    sendOutcome(res, outcome);
    return null;
  }
  return authenticatedRequest(req)!;
}

/**
 * @internal The shared step of the adapters: reuse an earlier verification of this request for
 * the same resource (then only the scopes), else the core; attach what was let through.
 */
export async function outcomeFor(
  resource: ProtectedResource,
  req: object,
  method: string,
  url: string,
  authorization: string | string[] | undefined,
  options: ProtectOptions,
): Promise<ProtectedOutcome> {
  const scopes = options.scopes ?? [];
  const earlier = authenticatedRequest(req);
  if (earlier?.resource === resource && !resource.isMetadataPath(url.split('?', 1)[0])) {
    return resource.authorize(earlier.principal, scopes);
  }
  const outcome = await resource.handle({ method, url, authorization }, scopes);
  if (outcome.kind === 'allow') attach(req, { resource, principal: outcome.principal, token: outcome.token });
  return outcome;
}
