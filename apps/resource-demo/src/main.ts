import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DemoModule } from './app.module';
import { DemoConfigError, loadDemoConfig, type DemoConfig } from './config';

/**
 * resource-demo: a downstream service that verifies Gatehouse tokens offline through
 * `@gatehouse/verifier` (README "A downstream service"). `npm run start:demo`.
 */
async function main(): Promise<void> {
  let config: DemoConfig;
  try {
    config = loadDemoConfig(process.env);
  } catch (err) {
    if (err instanceof DemoConfigError) {
      process.stderr.write(`resource-demo: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const app = await NestFactory.create<NestFastifyApplication>(DemoModule.forRoot(config), new FastifyAdapter(), {
    logger: ['error', 'warn', 'log'],
  });
  app.enableShutdownHooks();
  await app.listen({ port: config.port, host: config.host });
  new Logger('ResourceDemo').log(
    `listening on http://${config.host}:${config.port}, verifying tokens of ${config.verifier.issuer}` +
      (config.verifier.revocations ? ', revocation feed on' : ', revocation feed off (expiry only)') +
      (config.redisUrl ? ', per-token limits in Redis' : ', per-token limits in process'),
  );
}

void main();
