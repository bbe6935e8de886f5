import { outcomeFor, type ProtectOptions } from './node';
import type { ProtectedResource } from './protected-resource';

/** The part of a Fastify request and reply this hook uses. */
interface FastifyRequestLike {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}
interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  headers(values: Record<string, string>): FastifyReplyLike;
  send(body: string): unknown;
}
interface FastifyLike {
  get(path: string, handler: (request: FastifyRequestLike, reply: FastifyReplyLike) => unknown): unknown;
  options?(path: string, handler: (request: FastifyRequestLike, reply: FastifyReplyLike) => unknown): unknown;
}

/**
 * A Fastify hook (`onRequest` or `preHandler`) that refuses requests without a valid token for
 * this resource holding `scopes`; the verified principal and token are on
 * `authenticatedRequest(request)`. Register the metadata routes with
 * {@link fastifyProtectedResourceMetadata}.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { authenticatedRequest, createProtectedResource, fastifyProtectedResource, fastifyProtectedResourceMetadata } from '@gatehouse/verifier';
 *
 * const notes = createProtectedResource({ resource: 'https://mcp.example.com/mcp', issuer: 'https://id.example.com' });
 * const app = Fastify();
 * fastifyProtectedResourceMetadata(app, notes);
 * app.get('/notes', { preHandler: fastifyProtectedResource(notes, { scopes: ['notes:read'] }) }, (request) => ({
 *   owner: authenticatedRequest(request)!.principal.sub,
 * }));
 * ```
 */
export function fastifyProtectedResource(resource: ProtectedResource, options: ProtectOptions = {}) {
  return async (request: FastifyRequestLike, reply: FastifyReplyLike): Promise<unknown> => {
    const outcome = await outcomeFor(
      resource,
      request,
      request.method,
      request.url,
      request.headers.authorization,
      options,
    );
    // Fastify: an async hook that sends the reply and returns it ends the request there.
    if (outcome.kind === 'respond') return reply.code(outcome.status).headers(outcome.headers).send(outcome.body);
    return undefined;
  };
}

/**
 * Registers GET (and HEAD, which Fastify adds) and OPTIONS routes for the resource's metadata
 * paths (RFC 9728 §3.1, and the root one unless turned off).
 *
 * @example
 * ```ts
 * fastifyProtectedResourceMetadata(app, notes);
 * // GET /.well-known/oauth-protected-resource/mcp → { resource, authorization_servers, … }
 * ```
 */
export function fastifyProtectedResourceMetadata(app: FastifyLike, resource: ProtectedResource): void {
  for (const path of resource.metadataPaths) {
    const answer = async (request: FastifyRequestLike, reply: FastifyReplyLike) => {
      const outcome = await resource.handle({ method: request.method, url: path, authorization: undefined });
      if (outcome.kind === 'respond') return reply.code(outcome.status).headers(outcome.headers).send(outcome.body);
    };
    app.get(path, answer);
    app.options?.(path, answer);
  }
}
