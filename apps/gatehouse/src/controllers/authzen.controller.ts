import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { authzenConfiguration } from '@gatehouse/control';
import { GATEHOUSE_CONFIG, type GatehouseConfig } from '@gatehouse/core';
import { Public } from '../http/public.decorator';

/**
 * AuthZEN 1.0 discovery (docs/control.md#authzen). The decision endpoints themselves are
 * plain Fastify routes (http/authzen.route.ts).
 */
@ApiTags('authzen')
@Controller()
export class AuthzenController {
  constructor(@Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig) {}

  @Get('.well-known/authzen-configuration')
  @Public()
  configuration() {
    return authzenConfiguration(this.config.issuer);
  }
}
