import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import type { AdminPrincipal } from '@gatehouse/core';
import { AdminAuthService } from '@gatehouse/signin';
import type { z } from 'zod';
import { Access, Public } from '../http/public.decorator';
import { Caller, Meta } from '../http/request-meta.decorator';
import { adminLogin, adminMfa, mfaActivate, refreshBody } from '../http/schemas';
import { jsonSchema } from '../http/openapi';
import { ZodPipe } from '../http/zod.pipe';

@ApiTags('admin sessions')
@Controller('v1/admin')
export class AdminAuthController {
  constructor(private readonly auth: AdminAuthService) {}

  /** Step 1: password → single-use mfa_token (or, before enrolment, an enrolment-only token). */
  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(adminLogin) })
  login(@Meta() meta: RequestMeta, @Body(new ZodPipe(adminLogin)) body: z.infer<typeof adminLogin>) {
    return this.auth.login(meta, body.email, body.password);
  }

  /** Step 2: mfa_token + TOTP code (or a recovery code) → access + refresh tokens. */
  @Public()
  @Post('login/mfa')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(adminMfa) })
  mfa(@Meta() meta: RequestMeta, @Body(new ZodPipe(adminMfa)) body: z.infer<typeof adminMfa>) {
    return this.auth.completeMfa(meta, body.mfa_token, body.code);
  }

  @ApiBearerAuth()
  @Post('mfa/enroll')
  @HttpCode(200)
  @Access({ tiers: ['admin'], scopes: ['mfa:enroll'] })
  enroll(@Meta() meta: RequestMeta, @Caller() admin: AdminPrincipal) {
    return this.auth.enroll(meta, admin);
  }

  @ApiBearerAuth()
  @Post('mfa/activate')
  @HttpCode(200)
  @Access({ tiers: ['admin'], scopes: ['mfa:enroll'] })
  @ApiBody({ schema: jsonSchema(mfaActivate) })
  activate(
    @Meta() meta: RequestMeta,
    @Caller() admin: AdminPrincipal,
    @Body(new ZodPipe(mfaActivate)) body: z.infer<typeof mfaActivate>,
  ) {
    return this.auth.activate(meta, admin, body.code);
  }

  /** Rotates the refresh token; presenting a spent one ends the whole family. */
  @Public()
  @Post('token/refresh')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(refreshBody) })
  refresh(@Meta() meta: RequestMeta, @Body(new ZodPipe(refreshBody)) body: z.infer<typeof refreshBody>) {
    return this.auth.refresh(meta, body.refresh_token);
  }

  @ApiBearerAuth()
  @Post('logout')
  @HttpCode(204)
  @ApiBody({ schema: jsonSchema(refreshBody) })
  async logout(
    @Meta() meta: RequestMeta,
    @Caller() admin: AdminPrincipal,
    @Body(new ZodPipe(refreshBody)) body: z.infer<typeof refreshBody>,
  ) {
    await this.auth.logout(meta, admin, body.refresh_token);
  }
}
