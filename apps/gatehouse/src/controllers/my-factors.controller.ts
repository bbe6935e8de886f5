import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import type { AdminPrincipal, UserPrincipal } from '@gatehouse/core';
import { PasskeyService } from '@gatehouse/directory';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { MyMfaService, PasskeyFlows } from '@gatehouse/signin';
import { PasskeyId } from '../http/id.pipe';
import { ApiAnswer } from '../http/response-schemas';
import type { z } from 'zod';
import { jsonSchema } from '../http/openapi';
import { Access } from '../http/public.decorator';
import { Caller, Meta } from '../http/request-meta.decorator';
import { mfaActivate } from '../http/schemas';
import { mfaCode, passkeyRegistration, passkeyRename } from '../http/sign-in-schemas';
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

/**
 * A user's or an administrator's own passkeys (docs/sign-in-experience.md#passkeys):
 * registration (options, then the browser's response), list, rename, delete.
 */
@ApiTags('me')
@ApiBearerAuth()
@Controller('v1/me/passkeys')
export class MyPasskeysController {
  constructor(
    private readonly flows: PasskeyFlows,
    private readonly passkeys: PasskeyService,
  ) {}

  @Get()
  @ApiAnswer('Passkey', { list: true })
  @Access({ tiers: ['admin', 'user'], scopes: [] })
  list(@Caller() p: AdminPrincipal | UserPrincipal) {
    return this.passkeys.listMine(p);
  }

  @Post('registration-options')
  @HttpCode(200)
  @Access({ tiers: ['admin', 'user'], scopes: [] })
  options(@Meta() meta: RequestMeta, @Caller() p: AdminPrincipal | UserPrincipal) {
    return this.flows.registrationOptions(meta, p);
  }

  @Post()
  @Access({ tiers: ['admin', 'user'], scopes: [] })
  @ApiBody({ schema: jsonSchema(passkeyRegistration) })
  register(
    @Meta() meta: RequestMeta,
    @Caller() p: AdminPrincipal | UserPrincipal,
    @Body(new ZodPipe(passkeyRegistration)) body: z.infer<typeof passkeyRegistration>,
  ) {
    const response = body.response as unknown as RegistrationResponseJSON;
    return this.flows.register(meta, p, { response, name: body.name });
  }

  @Patch(':passkeyId')
  @ApiAnswer('Passkey')
  @Access({ tiers: ['admin', 'user'], scopes: [] })
  @ApiBody({ schema: jsonSchema(passkeyRename) })
  rename(
    @Meta() meta: RequestMeta,
    @Caller() p: AdminPrincipal | UserPrincipal,
    @Param('passkeyId', PasskeyId) id: string,
    @Body(new ZodPipe(passkeyRename)) body: z.infer<typeof passkeyRename>,
  ) {
    return this.passkeys.rename(p, meta, id, body.name);
  }

  @Delete(':passkeyId')
  @HttpCode(204)
  @Access({ tiers: ['admin', 'user'], scopes: [] })
  async remove(
    @Meta() meta: RequestMeta,
    @Caller() p: AdminPrincipal | UserPrincipal,
    @Param('passkeyId', PasskeyId) id: string,
  ) {
    await this.passkeys.removeMine(p, meta, id);
  }
}
