import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { loadConfig } from '@gatehouse/core';
import { AppModule } from '../app.module';
import type { Runtime } from '../runtime';
import { authzenRoutesOpenApi } from './authzen.route';
import { openApiDocument } from './openapi';
import { STRIPE_WEBHOOK_PATH, stripeWebhookOpenApi } from './stripe-webhook.route';
import { tokenRouteOpenApi } from './token.route';

/** The plain Fastify routes' entries, which Nest's generator, reading controllers, cannot see. */
export const plainRoutesOpenApi: Record<string, object> = {
  '/oauth/token': tokenRouteOpenApi,
  [STRIPE_WEBHOOK_PATH]: stripeWebhookOpenApi,
  ...authzenRoutesOpenApi,
};

/**
 * The OpenAPI document as /openapi.json serves it, built without a database, Redis or keys:
 * Nest's preview mode reads the module graph and controllers without creating a provider.
 * `npm run api:types` generates the console's API types from it (docs/console.md#api-types).
 */
export async function buildOpenApiDocument(issuer = 'http://localhost:3000'): Promise<OpenAPIObject> {
  const config = loadConfig({ GATEHOUSE_ISSUER: issuer }, { cpus: 1, cwd: '/nonexistent', tty: false });
  const rt: Runtime = { config, databaseUrl: '', kek: Buffer.alloc(32), notes: [], stop: () => Promise.resolve() };
  const app = await NestFactory.create(AppModule.forRoot(rt), new FastifyAdapter(), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  try {
    return openApiDocument(app, issuer, plainRoutesOpenApi);
  } finally {
    await app.close();
  }
}
