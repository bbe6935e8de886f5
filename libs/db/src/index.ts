export * from './prisma.service';
export * from './sql-pool';
export * from './db.module';
export * from './migrator';
export * from './embedded-postgres';
export * from './test-database';
export type * from './generated/prisma/client';
export { Prisma } from './generated/prisma/client';
export * from './invalidating-cache';
