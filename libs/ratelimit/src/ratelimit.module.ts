import { Global, Module } from '@nestjs/common';
import { RateLimiter } from './rate-limiter';
import { ReplayCache } from './replay-cache';

@Global()
@Module({ providers: [RateLimiter, ReplayCache], exports: [RateLimiter, ReplayCache] })
export class RateLimitModule {}
