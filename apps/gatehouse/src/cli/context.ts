import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module';
import { BearerStrategy } from '../auth/bearer.strategy';
import type { Runtime } from '../runtime';

/** The services of the app, without its HTTP layer, for one CLI command. */
export async function withContext<T>(
  rt: Runtime,
  fn: (get: <S>(cls: new (...a: never[]) => S) => S) => Promise<T>,
): Promise<T> {
  // The services without the HTTP layer. In particular no BearerStrategy: @nestjs/passport
  // registers strategies in passport's process-global registry, so a context created in a
  // process that also serves HTTP (the end-to-end suites run the CLI in-process) would
  // replace the server's strategy with this short-lived context's, keys and all.
  const app = AppModule.forRoot(rt);
  const services = { ...app, controllers: [], providers: app.providers?.filter((p) => p !== BearerStrategy) };
  const ctx = await NestFactory.createApplicationContext(services, { logger: false, abortOnError: false });
  try {
    return await fn((cls) => ctx.get(cls));
  } finally {
    await ctx.close();
  }
}
