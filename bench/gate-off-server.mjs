// Bench only: Gatehouse as `dist/apps/gatehouse/src/main.js` runs it with one worker, but with
// an access gate that allows everything and reads nothing — the "gate off" side of the
// gate-on-versus-off figure of `npm run bench` (docs/performance.md#the-access-gate-on-versus-off).
// Production has no such switch: the control layer is always bound (docs/control.md).
//
//   GATEHOUSE_ROOT=<checkout> node bench/gate-off-server.mjs   (with Gatehouse's usual env)
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = process.env.GATEHOUSE_ROOT;
if (!root) throw new Error('GATEHOUSE_ROOT: the checkout whose dist/ to run');
const require = createRequire(join(root, 'package.json'));
require('reflect-metadata');
const { loadConfig } = require(join(root, 'dist/libs/core/src/index.js'));
const { createGatehouseApp } = require(join(root, 'dist/apps/gatehouse/src/bootstrap.js'));
const { prepareRuntime } = require(join(root, 'dist/apps/gatehouse/src/runtime.js'));

const allowAll = { check: () => ({ outcome: 'allow' }) };
const config = loadConfig({ ...process.env, GATEHOUSE_WORKERS: '1' }, { cpus: 1 });
const rt = await prepareRuntime(config);
const app = await createGatehouseApp(rt, { accessGate: allowAll });
await app.listen({ port: config.port, host: config.host });
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await app.getHttpAdapter().getInstance().close().catch(() => undefined);
  await app.close().catch(() => undefined);
  await rt.stop().catch(() => undefined);
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
