// Runs `prisma generate` on install. Prisma 7's CLI first tries to download its
// schema-engine binary even though `generate` never uses it; pointing
// PRISMA_SCHEMA_ENGINE_BINARY at any existing file skips that download, so an offline
// install works (docs/design.md §9). A value already set by the user wins.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
const cli = require.resolve('prisma/build/index.js');
const result = spawnSync(process.execPath, [cli, 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
