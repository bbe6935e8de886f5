export * from './policy';
export * from './memory-store';
export * from './redis-store';
export * from './redis-client';
export * from './rate-limiter';
export * from './ratelimit.module';
export * from './redis-circuit';
export * from './fallback-policy';
