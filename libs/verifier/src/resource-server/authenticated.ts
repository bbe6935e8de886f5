import type { VerifiedPrincipal } from '../principal';
import type { ProtectedResource } from './protected-resource';

/**
 * What the adapters attach to a request they let through.
 *
 * @example
 * ```ts
 * const { principal, token }: AuthenticatedRequest = authenticatedRequest(req)!;
 * ```
 */
export interface AuthenticatedRequest {
  resource: ProtectedResource;
  principal: VerifiedPrincipal;
  /** The bearer token as sent (to exchange it for a step token, say). */
  token: string;
}

const KEY = Symbol.for('@gatehouse/verifier.protected-resource');

/** @internal Attaches what the adapter verified to the request object. */
export function attach(req: object, value: AuthenticatedRequest): void {
  (req as Record<symbol, AuthenticatedRequest>)[KEY] = value;
}

/**
 * The principal and token an adapter verified for this request (the request object the
 * framework hands your handler: node's `IncomingMessage`, Express's `req`, Fastify's `request`),
 * or undefined when none did.
 *
 * @example
 * ```ts
 * app.post('/mcp', expressProtectedResource(notes, { scopes: ['notes:read'] }), (req, res) => {
 *   const { principal, token } = authenticatedRequest(req)!;
 *   res.json({ sub: principal.sub });
 * });
 * ```
 */
export function authenticatedRequest(req: object): AuthenticatedRequest | undefined {
  return (req as Record<symbol, AuthenticatedRequest | undefined>)[KEY];
}
