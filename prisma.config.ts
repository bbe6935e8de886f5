// Prisma CLI configuration. Gatehouse applies migrations itself (libs/db/src/migrator.ts);
// the CLI is only used for `prisma generate`, which needs no database.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost/gatehouse' },
});
