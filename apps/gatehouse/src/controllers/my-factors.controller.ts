import { Body, Controller, Delete, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import type { UserPrincipal } from '@gatehouse/core';
import { MyMfaService } from '@gatehouse/signin';
import type { z } from 'zod';
import { jsonSchema } from '../http/openapi';
import { Access } from '../http/public.decorator';
import { Caller, Meta } from '../http/request-meta.decorator';
import { mfaActivate } from '../http/schemas';
import { mfaCode } from '../http/sign-in-schemas';
import { ZodPipe } from '../http/zod.pipe';

/** A user's own second factors (docs/sign-in-experience.md#mfa-for-users). */
@ApiTags('me')
@ApiBearerAuth()
@Controller('v1/me/mfa')
export class MyMfaController {
  constructor(private readonly mfa: MyMfaService) {}

  @Post('enroll')
  @HttpCode(200)
  @Access({ tiers: ['user'], scopes: [] })
  enroll(@Meta() meta: RequestMeta, @Caller() me: UserPrincipal) {
    return this.mfa.enroll(meta, me);
  }

  @Post('activate')
  @HttpCode(200)
  @Access({ tiers: ['user'], scopes: [] })
  @ApiBody({ schema: jsonSchema(mfaActivate) })
  activate(
    @Meta() meta: RequestMeta,
    @Caller() me: UserPrincipal,
    @Body(new ZodPipe(mfaActivate)) body: z.infer<typeof mfaActivate>,
  ) {
    return this.mfa.activate(meta, me, body.code);
  }

  /** Removes the TOTP factor; a current code (or a recovery code) proves the user holds it. */
  @Delete()
  @HttpCode(204)
  @Access({ tiers: ['user'], scopes: [] })
  @ApiBody({ schema: jsonSchema(mfaCode) })
  async remove(
    @Meta() meta: RequestMeta,
    @Caller() me: UserPrincipal,
    @Body(new ZodPipe(mfaCode)) body: z.infer<typeof mfaCode>,
  ) {
    await this.mfa.remove(meta, me, body.code);
  }
}
