import { Body, Controller, Get, Headers, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBasicAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import {
  authzenConfiguration,
  AuthzenService,
  evaluationRequest,
  evaluationsRequest,
  type DecisionCaller,
} from '@gatehouse/control';
import { GATEHOUSE_CONFIG, OAuthError, ProblemError, type GatehouseConfig } from '@gatehouse/core';
import { ClientAuthenticator, FormParams } from '@gatehouse/oauth';
import type { z } from 'zod';
import { jsonSchema } from '../http/openapi';
import { Public } from '../http/public.decorator';
import { Meta } from '../http/request-meta.decorator';
import { ZodPipe } from '../http/zod.pipe';

/**
 * The AuthZEN 1.0 decision endpoints (docs/control.md#authzen). The PEP — an app or a
 * resource server — authenticates with its own client credentials (HTTP Basic, as at
 * /oauth/introspect), so it can still ask while its org is stopped and its tokens are not
 * issued; it decides only about subjects of its own organization.
 */
@ApiTags('authzen')
@Controller()
export class AuthzenController {
  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly authzen: AuthzenService,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  @Get('.well-known/authzen-configuration')
  @Public()
  configuration() {
    return authzenConfiguration(this.config.issuer);
  }

  @Post('access/v1/evaluation')
  @Public()
  @HttpCode(200)
  @ApiBasicAuth()
  @ApiBody({ schema: jsonSchema(evaluationRequest) })
  async evaluation(
    @Meta() meta: RequestMeta,
    @Headers('authorization') authorization: string | undefined,
    @Body(new ZodPipe(evaluationRequest)) body: z.infer<typeof evaluationRequest>,
  ) {
    return this.authzen.evaluate(meta, await this.caller(meta, authorization), body);
  }

  @Post('access/v1/evaluations')
  @Public()
  @HttpCode(200)
  @ApiBasicAuth()
  @ApiBody({ schema: jsonSchema(evaluationsRequest) })
  async evaluations(
    @Meta() meta: RequestMeta,
    @Headers('authorization') authorization: string | undefined,
    @Body(new ZodPipe(evaluationsRequest)) body: z.infer<typeof evaluationsRequest>,
  ) {
    return this.authzen.evaluations(meta, await this.caller(meta, authorization), body);
  }

  private async caller(meta: RequestMeta, authorization: string | undefined): Promise<DecisionCaller> {
    try {
      const client = await this.clients.authenticate({
        params: FormParams.from([]),
        authorization,
        meta,
        responseHeaders: {},
      });
      return { clientId: client.id, orgId: client.orgId };
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      throw new ProblemError(
        err.status === 429 ? 429 : 401,
        err.status === 429 ? 'rate_limited' : 'invalid_client',
        'Client authentication failed',
        {
          detail: 'Authenticate with the application’s client_id and client_secret (HTTP Basic).',
          headers: { 'WWW-Authenticate': 'Basic realm="gatehouse"', ...err.headers },
        },
      );
    }
  }
}
