import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { z } from 'zod';
import { responseSchemas } from './response-schemas';

/** A zod schema as the JSON Schema the OpenAPI document embeds for a request body. */
export function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

/** The OpenAPI document of the app's controllers, plus `extraPaths` and the named `schemas`. */
export function openApiDocument(
  app: INestApplication,
  issuer: string,
  extraPaths: Record<string, object> = {},
): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Gatehouse')
    .setDescription('Multi-tenant identity provider and token issuer: management API and health endpoints.')
    .setVersion('0.1.0')
    .addServer(issuer)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  Object.assign(document.paths, extraPaths);
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...responseSchemas() } };
  return document;
}

/**
 * OpenAPI at /openapi.json, a docs page at /docs. `extraPaths` documents the plain Fastify
 * routes (the token endpoint), which Nest's generator, reading controllers, cannot see.
 * The document is built on its first request, not at start: most workers never serve it,
 * and building it (every controller scanned, every zod schema converted) cost each worker's
 * start its CPU and its heap the document (docs/performance.md#memory-and-startup).
 */
export function setUpOpenApi(app: INestApplication, issuer: string, extraPaths: Record<string, object> = {}): void {
  // deepLinking: `/docs#/{tag}/{operationId}` opens one operation (the legacy password
  // endpoint's `Link` relies on it, docs/sign-in.md#the-legacy-password-endpoint).
  SwaggerModule.setup('docs', app, () => openApiDocument(app, issuer, extraPaths), {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
    swaggerOptions: { deepLinking: true },
  });
}
