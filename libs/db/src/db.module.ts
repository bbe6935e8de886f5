import { Global, Module } from '@nestjs/common';
import { CacheListener } from './cache-listener';
import { PrismaService } from './prisma.service';
import { SqlPool } from './sql-pool';

@Global()
@Module({ providers: [PrismaService, SqlPool, CacheListener], exports: [PrismaService, SqlPool, CacheListener] })
export class DbModule {}
