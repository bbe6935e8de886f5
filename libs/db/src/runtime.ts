// What a process needs before it serves (docs/performance.md#memory-and-startup): the
// migrations and the embedded PostgreSQL, without the Prisma client and Nest that the
// package's index loads. A cluster primary imports only this.
export * from './migrator';
export * from './embedded-postgres';
