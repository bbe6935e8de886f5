import 'reflect-metadata';
import { availableParallelism } from 'node:os';
import { ConfigError, loadConfig } from '@gatehouse/core';
import { Logger } from '@nestjs/common';
import { createGatehouseApp } from './bootstrap';
import { prepareRuntime } from './runtime';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, { cpus: availableParallelism() });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gatehouse: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const rt = await prepareRuntime(config);
  const app = await createGatehouseApp(rt);
  const log = new Logger('Runtime');
  for (const note of rt.notes) log.log(note);
  await app.listen({ port: config.port, host: config.host });
  log.log(`Gatehouse listening on http://${config.host}:${config.port} (issuer ${config.issuer})`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.log(`${signal}: shutting down`);
    await app.close().catch(() => undefined);
    await rt.stop().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`gatehouse: failed to start: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
