import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import type { Principal } from '@gatehouse/core';
import { PasskeyService, PrincipalRevocationService, UserService } from '@gatehouse/directory';
import { PasskeyFlows, UserAuthService, UserMfaStep } from '@gatehouse/signin';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { z } from 'zod';
import { OrgId, PasskeyId, UserId } from '../http/id.pipe';
import { jsonSchema } from '../http/openapi';
import { Public } from '../http/public.decorator';
import { Caller, Meta } from '../http/request-meta.decorator';
import { createUser, searchPageQuery, updateUser, userLogin, userLoginPolicy } from '../http/schemas';
import { ZodPipe } from '../http/zod.pipe';
import { mfaToken, passkeyLogin, passkeyLoginOptions, userLoginMfa } from '../http/sign-in-schemas';
import { ApiAnswer } from '../http/response-schemas';

/**
 * RFC 9745 `Deprecation` (since browser sign-in, 2026-12-08) and RFC 8288 `Link` to the
 * migration guide. The target is this operation on Gatehouse's own API docs page, whose
 * description is the guide: a relative reference, resolved against the request URL (RFC 8288
 * §3.1), so it is true behind any issuer (docs/sign-in.md#the-legacy-password-endpoint).
 */
export const LEGACY_PASSWORD_HEADERS: Readonly<Record<string, string>> = {
  deprecation: '@1796688000',
  link: '</docs#/users/UsersController_login>; rel="deprecation"; type="text/html"',
};

/** The migration guide the `Link` above leads to, shown on /docs with the operation. */
const LEGACY_PASSWORD_GUIDE = [
  'Deprecated: the application collects the password itself (RFC 9700 §2.4). Only applications with',
  '`password_login: true` may call it (true for every application created before browser sign-in);',
  'others are refused with 403 `password_login_disabled`.',
  '',
  'Migrating: give the application a redirect URI and the `authorization_code` grant',
  '(`PATCH /v1/orgs/{orgId}/apps/{appId}`), send the browser to `/oauth/authorize` with PKCE,',
  'exchange the code at `/oauth/token` (`grant_type=authorization_code`), keep refreshing as before,',
  'then set `password_login: false`.',
].join('\n');

@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/orgs/:orgId/users')
export class UsersController {
  constructor(
    private readonly users: UserService,
    private readonly auth: UserAuthService,
    private readonly revocations: PrincipalRevocationService,
    private readonly mfa: UserMfaStep,
    private readonly passkeyFlows: PasskeyFlows,
    private readonly passkeys: PasskeyService,
  ) {}

  /**
   * User sign-in through one of the org's apps → user access token + refresh token. The
   * legacy password endpoint (docs/sign-in.md#the-legacy-password-endpoint): every answer,
   * refusals included, carries `Deprecation` (RFC 9745) and a `Link` to the migration guide.
   */
  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ deprecated: true, summary: 'Legacy password sign-in', description: LEGACY_PASSWORD_GUIDE })
  @ApiBody({ schema: jsonSchema(userLogin) })
  login(
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(userLogin)) body: z.infer<typeof userLogin>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    void reply.headers(LEGACY_PASSWORD_HEADERS);
    return this.auth.login(meta, orgId, body);
  }

  /**
   * The policy step (docs/control.md#policy): the `policy_token` a sign-in stopped by an
   * unaccepted policy answered with, and the version accepted → the same tokens as a sign-in.
   * The acceptance is the one `POST /v1/me/policy-acceptances` records.
   */
  @Public()
  @Post('login/policy')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(userLoginPolicy) })
  loginPolicy(
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(userLoginPolicy)) body: z.infer<typeof userLoginPolicy>,
  ) {
    return this.auth.completePolicyStep(meta, orgId, body);
  }

  /**
   * The second step (docs/sign-in-experience.md#mfa-for-users): the `mfa_token` a sign-in
   * answered with and a TOTP code or a recovery code → the same tokens as a sign-in (plus
   * `recovery_codes`, once, when the step enrolled the factor).
   */
  @Public()
  @Post('login/mfa')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(userLoginMfa) })
  loginMfa(
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(userLoginMfa)) body: z.infer<typeof userLoginMfa>,
  ) {
    if ('passkey_registration' in body) {
      const passkey_registration = body.passkey_registration as unknown as RegistrationResponseJSON;
      return this.passkeyFlows.enrolAndSignIn(meta, orgId, { mfa_token: body.mfa_token, passkey_registration });
    }
    if ('passkey' in body) {
      const passkey = body.passkey as unknown as AuthenticationResponseJSON;
      return this.passkeyFlows.secondFactor(meta, orgId, { mfa_token: body.mfa_token, passkey });
    }
    return this.mfa.complete(meta, orgId, body);
  }

  /** The second step with a passkey: a challenge for the user's passkeys (docs/sign-in-experience.md#passkeys). */
  @Public()
  @Post('login/mfa/passkey-options')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(mfaToken) })
  loginMfaPasskeyOptions(
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(mfaToken)) body: z.infer<typeof mfaToken>,
  ) {
    return this.passkeyFlows.secondFactorOptions(meta, orgId, body.mfa_token);
  }

  /** An enrolment step that allows passkeys: registration options for the signing-in user. */
  @Public()
  @Post('login/mfa/passkey-registration-options')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(mfaToken) })
  loginMfaPasskeyRegistrationOptions(
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(mfaToken)) body: z.infer<typeof mfaToken>,
  ) {
    return this.passkeyFlows.enrolmentOptions(meta, orgId, body.mfa_token);
  }

  /** A passkey as the first factor, step 1: a challenge for any of the org's discoverable passkeys. */
  @Public()
  @Post('login/passkey/options')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(passkeyLoginOptions) })
  passkeyOptions(
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(passkeyLoginOptions)) body: z.infer<typeof passkeyLoginOptions>,
  ) {
    return this.passkeyFlows.signInOptions(meta, orgId, body.client_id);
  }

  /** A passkey as the first factor, step 2: the assertion → the tokens of a sign-in. */
  @Public()
  @Post('login/passkey')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(passkeyLogin) })
  passkeyLogin(
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(passkeyLogin)) body: z.infer<typeof passkeyLogin>,
  ) {
    const response = body.response as unknown as AuthenticationResponseJSON;
    return this.passkeyFlows.signIn(meta, orgId, { client_id: body.client_id, response });
  }

  /** A user's passkeys, for the org's admins (docs/sign-in-experience.md#passkeys). */
  @Get(':userId/passkeys')
  listPasskeys(@Caller() p: Principal, @Param('orgId', OrgId) orgId: string, @Param('userId', UserId) userId: string) {
    return this.passkeys.listForUser(p, orgId, userId);
  }

  /** An org admin removes a user's passkey (a lost device). */
  @Delete(':userId/passkeys/:passkeyId')
  @HttpCode(204)
  async removePasskey(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('userId', UserId) userId: string,
    @Param('passkeyId', PasskeyId) passkeyId: string,
  ) {
    await this.passkeys.removeForUser(p, meta, orgId, userId, passkeyId);
  }

  /** During an enrolment step: a TOTP seed and its QR code, activated by the first code at `login/mfa`. */
  @Public()
  @Post('login/mfa/enroll')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(mfaToken) })
  loginMfaEnroll(
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(mfaToken)) body: z.infer<typeof mfaToken>,
  ) {
    return this.mfa.enroll(meta, orgId, body.mfa_token);
  }

  @Post()
  @ApiBody({ schema: jsonSchema(createUser) })
  create(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(createUser)) body: z.infer<typeof createUser>,
  ) {
    return this.users.create(p, meta, orgId, body);
  }

  @Get()
  @ApiAnswer('UserPage')
  @ApiQuery({
    name: 'q',
    required: false,
    description: 'search: email or ID contains this (case-insensitive), or the ID equals it',
  })
  @ApiQuery({
    name: 'order',
    required: false,
    enum: ['oldest', 'newest'],
    description: 'creation order; default oldest',
  })
  @ApiQuery({ name: 'limit', required: false, description: '1–200, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'next_cursor of the previous page (same order and q)' })
  list(
    @Caller() p: Principal,
    @Param('orgId', OrgId) orgId: string,
    @Query(new ZodPipe(searchPageQuery)) q: z.infer<typeof searchPageQuery>,
  ) {
    return this.users.list(p, orgId, q);
  }

  @Get(':userId')
  @ApiAnswer('User')
  get(@Caller() p: Principal, @Param('orgId', OrgId) orgId: string, @Param('userId', UserId) userId: string) {
    return this.users.get(p, orgId, userId);
  }

  @Patch(':userId')
  @ApiBody({ schema: jsonSchema(updateUser) })
  update(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('userId', UserId) userId: string,
    @Body(new ZodPipe(updateUser)) body: z.infer<typeof updateUser>,
  ) {
    return this.users.update(p, meta, orgId, userId, body);
  }

  @Delete(':userId')
  @HttpCode(204)
  async remove(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('userId', UserId) userId: string,
  ) {
    await this.users.remove(p, meta, orgId, userId);
  }

  /** Kills every token of this user issued up to now (for an app: its user tokens too). */
  @Post(':userId/revoke-tokens')
  @HttpCode(200)
  revokeTokens(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Param('userId', UserId) id: string,
  ) {
    return this.revocations.revokeAll(p, meta, orgId, { kind: 'user', id });
  }
}
