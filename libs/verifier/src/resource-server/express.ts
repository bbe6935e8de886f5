import type { IncomingMessage, ServerResponse } from 'node:http';
import { outcomeFor, sendOutcome, type ProtectOptions } from './node';
import type { ProtectedResource } from './protected-resource';

/** The part of an Express request and response this middleware uses (both are node's). */
type ExpressRequest = IncomingMessage & { originalUrl?: string };
type ExpressNext = (err?: unknown) => void;

/**
 * Express middleware: answers the metadata paths (mount it at the application, before your
 * routes) and refuses requests without a valid token for this resource holding `scopes`; the
 * verified principal and token are on `authenticatedRequest(req)`. Mounted again on a route
 * with more scopes, it checks only the scopes.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { authenticatedRequest, createProtectedResource, expressProtectedResource } from '@gatehouse/verifier';
 *
 * const notes = createProtectedResource({ resource: 'https://mcp.example.com/mcp', issuer: 'https://id.example.com' });
 * const app = express();
 * app.use(expressProtectedResource(notes, { scopes: ['notes:read'] }));
 * app.delete('/notes/:id', expressProtectedResource(notes, { scopes: ['notes:write'] }), (req, res) => {
 *   res.json({ deletedBy: authenticatedRequest(req)!.principal.sub });
 * });
 * ```
 */
export function expressProtectedResource(resource: ProtectedResource, options: ProtectOptions = {}) {
  return (req: ExpressRequest, res: ServerResponse, next: ExpressNext): void => {
    outcomeFor(
      resource,
      req,
      req.method ?? 'GET',
      req.originalUrl ?? req.url ?? '/',
      req.headers.authorization,
      options,
    )
      .then((outcome) => (outcome.kind === 'respond' ? sendOutcome(res, outcome) : next()))
      .catch(next);
  };
}
