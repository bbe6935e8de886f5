import { Body, Controller, Delete, Get, Headers, Param, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import { Problems, type Principal } from '@gatehouse/core';
import { BrandingService, SignInSettingsService } from '@gatehouse/directory';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AppId, OrgId } from '../http/id.pipe';
import { jsonSchema } from '../http/openapi';
import { Public } from '../http/public.decorator';
import { Caller, Meta } from '../http/request-meta.decorator';
import { branding, signInSettings } from '../http/sign-in-schemas';
import { ApiAnswer } from '../http/response-schemas';
import { ZodPipe } from '../http/zod.pipe';

/** docs/sign-in-experience.md#sign-in-settings */
@ApiTags('organizations')
@ApiBearerAuth()
@Controller('v1/orgs/:orgId/sign-in-settings')
export class SignInSettingsController {
  constructor(private readonly settings: SignInSettingsService) {}

  @Get()
  @ApiAnswer('SignInSettings')
  get(@Caller() p: Principal, @Param('orgId', OrgId) orgId: string) {
    return this.settings.get(p, orgId);
  }

  /** Replaces the whole document. */
  @Put()
  @ApiAnswer('SignInSettings')
  @ApiBody({ schema: jsonSchema(signInSettings) })
  put(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(signInSettings)) body: z.infer<typeof signInSettings>,
  ) {
    return this.settings.put(p, meta, orgId, body);
  }
}

/**
 * Branding of an org (`/v1/orgs/{orgId}/branding`) and of one app
 * (`/v1/orgs/{orgId}/apps/{appId}/branding`); docs/sign-in-experience.md#branding. The logo
 * itself is public: the sign-in pages load it before anyone has signed in.
 */
@ApiTags('organizations')
@ApiBearerAuth()
@Controller('v1/orgs/:orgId')
export class BrandingController {
  constructor(private readonly brandings: BrandingService) {}

  @Get('branding')
  @ApiAnswer('Branding')
  get(@Caller() p: Principal, @Param('orgId', OrgId) orgId: string) {
    return this.brandings.get(p, { orgId, appId: null });
  }

  @Put('branding')
  @ApiAnswer('Branding')
  @ApiBody({ schema: jsonSchema(branding) })
  put(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(branding)) body: z.infer<typeof branding>,
  ) {
    return this.brandings.put(p, meta, { orgId, appId: null }, body);
  }

  /** The raw image as the body, its type in `Content-Type` (PNG, JPEG, GIF or WebP). */
  @Put('branding/logo')
  putLogo(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Headers('content-type') type: string | undefined,
    @Req() req: FastifyRequest,
  ) {
    return this.brandings.putLogo(p, meta, { orgId, appId: null }, type, req.body);
  }

  @Delete('branding/logo')
  deleteLogo(@Caller() p: Principal, @Meta() meta: RequestMeta, @Param('orgId', OrgId) orgId: string) {
    return this.brandings.deleteLogo(p, meta, { orgId, appId: null });
  }

  @Public()
  @Get('branding/logo')
  async logo(@Param('orgId', OrgId) orgId: string, @Query('v') v: unknown, @Res() reply: FastifyReply) {
    await this.sendLogo(reply, { orgId, appId: null }, v);
  }

  @Get('apps/:appId/branding')
  @ApiAnswer('Branding')
  getApp(@Caller() p: Principal, @Param('orgId', OrgId) orgId: string, @Param('appId', AppId) appId: string) {
    return this.brandings.get(p, { orgId, appId });
  }

  @Put('apps/:appId/branding')
  @ApiAnswer('Branding')
  @ApiBody({ schema: jsonSchema(branding) })
  putApp(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('appId', AppId) appId: string,
    @Body(new ZodPipe(branding)) body: z.infer<typeof branding>,
  ) {
    return this.brandings.put(p, meta, { orgId, appId }, body);
  }

  @Put('apps/:appId/branding/logo')
  putAppLogo(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('appId', AppId) appId: string,
    @Headers('content-type') type: string | undefined,
    @Req() req: FastifyRequest,
  ) {
    return this.brandings.putLogo(p, meta, { orgId, appId }, type, req.body);
  }

  @Delete('apps/:appId/branding/logo')
  deleteAppLogo(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('appId', AppId) appId: string,
  ) {
    return this.brandings.deleteLogo(p, meta, { orgId, appId });
  }

  @Public()
  @Get('apps/:appId/branding/logo')
  async appLogo(
    @Param('orgId', OrgId) orgId: string,
    @Param('appId', AppId) appId: string,
    @Query('v') v: unknown,
    @Res() reply: FastifyReply,
  ) {
    await this.sendLogo(reply, { orgId, appId }, v);
  }

  private async sendLogo(reply: FastifyReply, owner: { orgId: string; appId: string | null }, v: unknown) {
    const logo = await this.brandings.logo(owner);
    if (!logo) throw Problems.notFound('logo');
    // A versioned URL (?v=digest) names one image for ever; the bare URL is revalidated.
    const versioned = typeof v === 'string' && v.length > 0;
    await reply
      .code(200)
      .header('content-type', logo.type)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('cache-control', versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=60')
      .header('etag', logo.etag)
      .send(logo.bytes);
  }
}
