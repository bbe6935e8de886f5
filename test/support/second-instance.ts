import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@gatehouse/core';
import passport from 'passport';
import { createGatehouseApp } from '../../apps/gatehouse/src/bootstrap';
import { prepareRuntime } from '../../apps/gatehouse/src/runtime';
import { apiClient, freePort, type ApiResponse, type RequestOptions, type TestGatehouse } from './gatehouse';

/** Another Gatehouse process, as behind a load balancer: same database, KEK, issuer and Redis prefix. */
/**
 * Requests to the second instance authenticate through the FIRST instance's verifier:
 * @nestjs/passport keeps strategies in passport's process-global registry, one `bearer`
 * per process, and the first instance's is put back after the second starts so the suite's
 * main instance is verified by its own keys. Check the second instance's own verifier
 * through `app.get(AccessTokenVerifier)`; separate processes do not share this registry.
 */
export interface SecondInstance {
  url: string;
  app: NestFastifyApplication;
  logs: string[];
  api: (method: string, path: string, opts?: RequestOptions) => Promise<ApiResponse>;
  close: () => Promise<void>;
}

export async function startSecondInstance(gh: TestGatehouse): Promise<SecondInstance> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // GATEHOUSE_ISSUER stays the first instance's URL: both are one issuer.
  const runtime = await prepareRuntime(loadConfig({ ...gh.env, PORT: String(port) }));
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const registry = passport as unknown as { _strategy(name: string): passport.Strategy | undefined };
  const firstStrategy = registry._strategy('bearer');
  const app = await createGatehouseApp(runtime, { logStream });
  if (firstStrategy) passport.use('bearer', firstStrategy);
  await app.listen({ port, host: '127.0.0.1' });

  const api = apiClient(url);

  return {
    url,
    app,
    logs,
    api,
    close: async () => {
      await app.close();
      await runtime.stop();
    },
  };
}
