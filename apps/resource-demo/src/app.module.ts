import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { GatehouseGuard, GatehouseVerifierModule } from '@gatehouse/verifier/nest';
import type { DemoConfig } from './config';
import { InvoicesController } from './invoices.controller';

/** Deny by default: the verifier's guard runs on every route (APP_GUARD). */
@Module({})
export class DemoModule {
  static forRoot(config: DemoConfig): DynamicModule {
    return {
      module: DemoModule,
      imports: [
        GatehouseVerifierModule.forRoot({
          verifier: config.verifier,
          realm: 'resource-demo',
          rateLimit: { redis: config.redisUrl, prefix: config.rateLimitPrefix, policy: config.rateLimit },
          decisions: config.decisions,
        }),
      ],
      controllers: [InvoicesController],
      providers: [{ provide: APP_GUARD, useExisting: GatehouseGuard }],
    };
  }
}
