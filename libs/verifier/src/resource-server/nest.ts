import {
  Controller,
  Get,
  Header,
  HttpException,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
  type Type,
} from '@nestjs/common';
import { ANONYMOUS, SCOPES } from '../nest/metadata';
import { outcomeFor, type ProtectOptions } from './node';
import type { ProtectedResource } from './protected-resource';

interface HttpRequest {
  method?: string;
  url?: string;
  originalUrl?: string;
  headers: Record<string, string | string[] | undefined>;
}
/** Fastify's reply and Express's response both have `header(name, value)`; node's has setHeader. */
interface HttpResponse {
  header?: (name: string, value: string) => unknown;
  setHeader?: (name: string, value: string) => unknown;
}

const getMetadata = <T>(key: string, target: object): T | undefined =>
  (Reflect as unknown as { getMetadata(k: string, t: object): T | undefined }).getMetadata(key, target);

/**
 * A Nest guard for a protected resource (Express or Fastify underneath): a valid token for this
 * resource holding `options.scopes` and the route's `@RequireScopes()` (class and method), or
 * the refusal with its challenge (401 with `resource_metadata`, 403 `insufficient_scope` naming
 * every scope needed). Routes marked `@AllowAnonymous()` pass. The principal and token are on
 * `authenticatedRequest(req)`; serve the metadata with {@link protectedResourceMetadataController}.
 *
 * @example
 * ```ts
 * const notes = createProtectedResource({ resource: 'https://mcp.example.com/mcp', issuer: 'https://id.example.com' });
 *
 * @Controller('notes')
 * @UseGuards(protectedResourceGuard(notes, { scopes: ['notes:read'] }))
 * export class NotesController {
 *   @Get() list(@Req() req: object) { return { owner: authenticatedRequest(req)!.principal.sub }; }
 *   @Post() @RequireScopes('notes:write') create() { … }
 * }
 * ```
 */
export function protectedResourceGuard(resource: ProtectedResource, options: ProtectOptions = {}): CanActivate {
  return {
    async canActivate(ctx: ExecutionContext): Promise<boolean> {
      const handler = ctx.getHandler();
      const cls = ctx.getClass();
      if (getMetadata<boolean>(ANONYMOUS, handler) ?? getMetadata<boolean>(ANONYMOUS, cls)) return true;
      const scopes = [
        ...new Set([
          ...(options.scopes ?? []),
          ...(getMetadata<string[]>(SCOPES, cls) ?? []),
          ...(getMetadata<string[]>(SCOPES, handler) ?? []),
        ]),
      ];
      const http = ctx.switchToHttp();
      const req = http.getRequest<HttpRequest>();
      const outcome = await outcomeFor(
        resource,
        req,
        req.method ?? 'GET',
        req.originalUrl ?? req.url ?? '/',
        req.headers.authorization,
        { scopes },
      );
      if (outcome.kind === 'allow') return true;
      const res = http.getResponse<HttpResponse>();
      for (const [k, v] of Object.entries(outcome.headers)) {
        if (typeof res.header === 'function') res.header(k, v);
        else res.setHeader?.(k, v);
      }
      throw new HttpException(JSON.parse(outcome.body) as Record<string, string>, outcome.status);
    },
  };
}

/**
 * A Nest controller answering GET on the resource's metadata paths (RFC 9728 §3.1 and the root
 * one), marked `@AllowAnonymous()` so a global guard lets clients read it. Add it to a module's
 * `controllers`.
 *
 * @example
 * ```ts
 * @Module({ controllers: [protectedResourceMetadataController(notes), NotesController] })
 * export class AppModule {}
 * ```
 */
export function protectedResourceMetadataController(resource: ProtectedResource): Type<unknown> {
  class ProtectedResourceMetadataController {
    metadata() {
      return resource.metadata;
    }
  }
  const proto = ProtectedResourceMetadataController.prototype;
  const descriptor = Object.getOwnPropertyDescriptor(proto, 'metadata')!;
  Header('Cache-Control', 'public, max-age=3600')(proto, 'metadata', descriptor);
  Header('Access-Control-Allow-Origin', '*')(proto, 'metadata', descriptor);
  Get([...resource.metadataPaths])(proto, 'metadata', descriptor);
  SetMetadata(ANONYMOUS, true)(ProtectedResourceMetadataController);
  Controller()(ProtectedResourceMetadataController);
  return ProtectedResourceMetadataController;
}
