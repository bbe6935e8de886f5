import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';

export type FastHandler = (req: IncomingMessage, res: ServerResponse) => void;

type FastifyServerOptions = {
  http?: ServerOptions | null;
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
  maxRequestsPerSocket?: number;
};

/**
 * Exact-path GET/HEAD routes answered by node:http itself, before Fastify builds a request,
 * a reply and a child logger and runs its hooks. Only for public documents served from
 * memory that every downstream service polls (the JWKS): there, Fastify and Nest's hooks
 * cost as much as the answer itself (measured on this machine: 95–102 µs of CPU per JWKS
 * request through Fastify, 51 µs for node:http alone; docs/performance.md).
 *
 * Anything that is not an exact match — another method, a percent-encoded or
 * trailing-slash variant of the path — and every request once the server is closing goes
 * to Fastify, where the same path is also registered: a fast route changes how fast an
 * answer comes, never which answer.
 */
export class FastRoutes {
  private readonly routes = new Map<string, FastHandler>();
  private closing = false;

  /** Fastify's `serverFactory`: the HTTP/1 server Fastify would build, with the fast routes in front. */
  readonly serverFactory = (
    fastify: (req: IncomingMessage, res: ServerResponse) => void,
    opts: FastifyServerOptions,
  ): Server => {
    const server = createServer(opts.http ?? {}, (req, res) => {
      const route = this.closing || (req.method !== 'GET' && req.method !== 'HEAD') ? undefined : this.match(req.url);
      if (!route) return fastify(req, res);
      try {
        route(req, res);
      } catch {
        // Never a crashed process: Fastify answers instead, and its error handler reports it.
        if (!res.headersSent) fastify(req, res);
        else res.destroy();
      }
    });
    // What Fastify sets on a server it builds itself (fastify/lib/server.js).
    if (opts.keepAliveTimeout !== undefined) server.keepAliveTimeout = opts.keepAliveTimeout;
    if (opts.requestTimeout !== undefined) server.requestTimeout = opts.requestTimeout;
    if (opts.connectionTimeout !== undefined) server.setTimeout(opts.connectionTimeout);
    if (opts.maxRequestsPerSocket) server.maxRequestsPerSocket = opts.maxRequestsPerSocket;
    return server;
  };

  get(path: string, handler: FastHandler): void {
    this.routes.set(path, handler);
  }

  /** From now on every request goes through Fastify (which answers 503 while closing). */
  close(): void {
    this.closing = true;
  }

  private match(url: string | undefined): FastHandler | undefined {
    if (!url) return undefined;
    const q = url.indexOf('?');
    return this.routes.get(q < 0 ? url : url.slice(0, q));
  }
}
