/**
 * `@gatehouse/verifier/nest`: a guard and decorators for NestJS (Express or Fastify).
 *
 * @example
 * ```ts
 * @Controller('orgs/:orgId/invoices')
 * @RequireTier('app', 'user')
 * export class InvoicesController {
 *   @Get() @RequireScopes('invoices:read') @RequireOrgParam('orgId')
 *   list(@CurrentPrincipal() p: VerifiedPrincipal) { … }
 * }
 * ```
 */
export * from './decorators';
export * from './guard';
export * from './metadata';
export * from './verifier.module';
export * from '../resource-server/nest';
