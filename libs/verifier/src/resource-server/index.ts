/**
 * The resource-server side of Gatehouse's MCP profile (docs/resources.md#the-resource-server):
 * RFC 9728 metadata, `WWW-Authenticate` challenges, exact-audience checks, and adapters for
 * node:http, Express and Fastify (Nest: `@gatehouse/verifier/nest`).
 */
export * from './metadata';
export * from './challenge';
export * from './protected-resource';
export { authenticatedRequest, type AuthenticatedRequest } from './authenticated';
export { protectNodeRequest, sendOutcome, type ProtectOptions } from './node';
export * from './express';
export * from './fastify';
