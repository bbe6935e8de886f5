import { Body, Controller, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import { InvitationFlow, PasswordResetFlow, SignupFlow } from '@gatehouse/signin';
import type { Principal } from '@gatehouse/core';
import type { z } from 'zod';
import { OrgId } from '../http/id.pipe';
import { jsonSchema } from '../http/openapi';
import { Public } from '../http/public.decorator';
import { Caller, Meta } from '../http/request-meta.decorator';
import {
  invitation,
  invitationAccept,
  linkToken,
  passwordResetComplete,
  passwordResetRequest,
  signupRequest,
} from '../http/sign-in-schemas';
import { ZodPipe } from '../http/zod.pipe';

/**
 * The emailed-link flows the sign-in pages call (docs/sign-in-experience.md#links): public,
 * rate-limited, and answering the same whether or not an account exists.
 */
@ApiTags('sign-in')
@Controller('v1/orgs/:orgId')
export class AccountLinksController {
  constructor(
    private readonly resets: PasswordResetFlow,
    private readonly signups: SignupFlow,
    private readonly invitations: InvitationFlow,
  ) {}

  /**
   * Self sign-up (docs/sign-in-experience.md#self-sign-up): 202 whether or not the address
   * already has an account; 403 `signup_not_allowed` when the org does not take this address.
   */
  @Public()
  @Post('signup')
  @HttpCode(202)
  @ApiBody({ schema: jsonSchema(signupRequest) })
  async signup(
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Body(new ZodPipe(signupRequest)) body: z.infer<typeof signupRequest>,
  ) {
    await this.signups.request(meta, orgId, body, { uiLocales: body.ui_locales, acceptLanguage });
    return { status: 'accepted' };
  }

  /** The verification link: creates the account, its address verified. */
  @Public()
  @Post('signup/verify')
  @HttpCode(201)
  @ApiBody({ schema: jsonSchema(linkToken) })
  verifySignup(
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(linkToken)) body: z.infer<typeof linkToken>,
  ) {
    return this.signups.verify(meta, orgId, body.token);
  }

  /** An org admin invites an address (docs/sign-in-experience.md#invitations). */
  @Post('invitations')
  @ApiBody({ schema: jsonSchema(invitation) })
  invite(
    @Caller() p: Principal,
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Body(new ZodPipe(invitation)) body: z.infer<typeof invitation>,
  ) {
    return this.invitations.invite(p, meta, orgId, body, { uiLocales: body.ui_locales, acceptLanguage });
  }

  /** The invitation link: the invitee's password creates the account. */
  @Public()
  @Post('invitations/accept')
  @HttpCode(201)
  @ApiBody({ schema: jsonSchema(invitationAccept) })
  acceptInvitation(
    @Meta() meta: RequestMeta,
    @Param('orgId', OrgId) orgId: string,
    @Body(new ZodPipe(invitationAccept)) body: z.infer<typeof invitationAccept>,
  ) {
    return this.invitations.accept(meta, orgId, body);
  }

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
