import { Body, Controller, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import { PasswordResetFlow } from '@gatehouse/signin';
import type { z } from 'zod';
import { OrgId } from '../http/id.pipe';
import { jsonSchema } from '../http/openapi';
import { Public } from '../http/public.decorator';
import { Meta } from '../http/request-meta.decorator';
import { passwordResetComplete, passwordResetRequest } from '../http/sign-in-schemas';
import { ZodPipe } from '../http/zod.pipe';

/**
 * The emailed-link flows the sign-in pages call (docs/sign-in-experience.md#links): public,
 * rate-limited, and answering the same whether or not an account exists.
 */
@ApiTags('sign-in')
@Controller('v1/orgs/:orgId')
export class AccountLinksController {
  constructor(private readonly resets: PasswordResetFlow) {}

  /** Always 202: a link is mailed only if the account exists (docs/sign-in-experience.md#password-reset). */
  @Public()
  @Post('password-reset')
  @HttpCode(202)
  @ApiBody({ schema: jsonSchema(passwordResetRequest) })
  async requestReset(
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Body(new ZodPipe(passwordResetRequest)) body: z.infer<typeof passwordResetRequest>,
  ) {
    await this.resets.request(meta, orgId, body, { uiLocales: body.ui_locales, acceptLanguage });
    return { status: 'accepted' };
  }

  @Public()
  @Post('password-reset/complete')
  @HttpCode(204)
  @ApiBody({ schema: jsonSchema(passwordResetComplete) })
  async completeReset(
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(passwordResetComplete)) body: z.infer<typeof passwordResetComplete>,
  ) {
    await this.resets.complete(meta, orgId, body);
  }
}
