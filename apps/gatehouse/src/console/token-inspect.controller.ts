import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import type { AdminPrincipal } from '@gatehouse/core';
import { z } from 'zod';
import { jsonSchema } from '../http/openapi';
import { Caller, Meta } from '../http/request-meta.decorator';
import { ZodPipe } from '../http/zod.pipe';
import { TokenInspectionService } from './token-inspection.service';

const inspectBody = z.strictObject({ token: z.string().trim().min(1).max(8192) });

@ApiTags('tokens')
@ApiBearerAuth()
@Controller('v1/tokens')
export class TokenInspectController {
  constructor(private readonly inspection: TokenInspectionService) {}

  /**
   * For administrators: a pasted access token's verified claims, `act` chain, revocation
   * state and the access gate's decision now (docs/console.md#token-inspector).
   */
  @Post('inspect')
  @HttpCode(200)
  @ApiOperation({ summary: 'Verify an access token and explain whether it works now' })
  @ApiBody({ schema: jsonSchema(inspectBody) })
  inspect(
    @Caller() admin: AdminPrincipal,
    @Meta() meta: RequestMeta,
    @Body(new ZodPipe(inspectBody)) body: z.infer<typeof inspectBody>,
  ) {
    return this.inspection.inspect(meta, admin, body.token);
  }
}
