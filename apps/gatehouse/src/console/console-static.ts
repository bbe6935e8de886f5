import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CONSOLE_HEADERS } from './console-csp';

/** The built console (`vite build` → dist/console), found from the project root. */
export function consoleDistDir(from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'console');
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Gatehouse console</title></head>
<body><h1>The console is not built</h1><p>Run <code>npm run build</code>, then restart Gatehouse.</p></body></html>`;

/**
 * Serves the admin console at /console (docs/console.md): hashed assets under
 * /console/assets/ with a long cache, and index.html, never cached, for every other
 * /console path so the single-page app's own routes survive a reload. Every response
 * carries the strict Content-Security-Policy.
 */
export async function registerConsole(fastify: FastifyInstance, root = consoleDistDir()): Promise<void> {
  const withHeaders = (reply: FastifyReply) => {
    for (const [k, v] of Object.entries(CONSOLE_HEADERS)) void reply.header(k, v);
    return reply;
  };
  let index: string | null = null;
  const sendIndex = (_req: unknown, reply: FastifyReply) => {
    index ??= existsSync(join(root, 'index.html')) ? readFileSync(join(root, 'index.html'), 'utf8') : null;
    return withHeaders(reply)
      .code(index ? 200 : 503)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(index ?? NOT_BUILT);
  };
  fastify.get('/console', sendIndex);
  fastify.get('/console/*', sendIndex);
  if (existsSync(join(root, 'assets'))) {
    await fastify.register(fastifyStatic, {
      root: join(root, 'assets'),
      prefix: '/console/assets/',
      decorateReply: false,
      index: false,
      immutable: true,
      maxAge: '365d',
      setHeaders: (res) => {
        for (const [k, v] of Object.entries(CONSOLE_HEADERS)) void res.header(k, v);
      },
    });
  }
}
