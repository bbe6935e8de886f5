import { Controller, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { GATEHOUSE_CONFIG, ProblemError, type GatehouseConfig } from '@gatehouse/core';
import { InvitationFlow, LinkStatus, PasswordResetFlow, SignupFlow, type MessageKey } from '@gatehouse/signin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../http/public.decorator';
import { requestId, requestMeta } from '../http/request-meta.decorator';
import { BRANDING_SOURCE, type BrandingSource } from './branding';
import { formOf, sendPage } from './browser-http';
import { FormCsrf } from './form-csrf';
import { sendErrorPage } from './page-errors';
import { PageRenderer } from './page-renderer';
import {
  forgotPasswordPage,
  linkExpiredPage,
  linkHref,
  newPasswordPage,
  noticePage,
  signupPage,
  verifyEmailPage,
  type LinkPageContext,
} from './pages/link-pages';

const ORG = /^org_[0-9A-HJKMNP-TV-Z]{26}$/;
const CLIENT = /^[\x21-\x7e]{1,512}$/;

/** passwordWeakness's reasons, as the page says them. */
const WEAKNESS: [RegExp, MessageKey][] = [
  [/at least/, 'page.weak.length'],
  [/at most/, 'page.weak.too_long'],
  [/mix/, 'page.weak.classes'],
  [/repeat/, 'page.weak.repeats'],
  [/email/, 'page.weak.email'],
];

/**
 * The link pages (docs/sign-in.md#link-pages) under `/sign-in/{orgId}/…`, the paths the mails
 * link to (LINK_PATHS): forgot password, reset, sign-up, e-mail verification, invitation.
 * They call the same flows as the API routes; the token travels in the query of the mailed
 * link and then in the form, never in a log (request logs drop queries). No page says whether
 * an account exists: a reset request and a sign-up answer the same page either way.
 */
@ApiExcludeController()
@Public()
@Controller('sign-in/:orgId')
export class LinkPagesController {
  constructor(
    private readonly pages: PageRenderer,
    private readonly csrf: FormCsrf,
    private readonly links: LinkStatus,
    private readonly resets: PasswordResetFlow,
    private readonly signups: SignupFlow,
    private readonly invitations: InvitationFlow,
    @Inject(BRANDING_SOURCE) private readonly branding: BrandingSource,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  @Get('forgot-password')
  forgotPassword(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('orgId') orgId: string) {
    return this.page(req, reply, orgId, 'forgot-password', (ctx) => sendPage(reply, 200, forgotPasswordPage(ctx)));
  }

  @Post('forgot-password')
  requestReset(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('orgId') orgId: string) {
    return this.post(req, reply, orgId, 'forgot-password', async (ctx, form) => {
      const email = (form.email ?? '').trim().toLowerCase();
      if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 254) {
        return sendPage(reply, 400, forgotPasswordPage(ctx, { email, error: ctx.text.t('page.invalid_email') }));
      }
      await this.resets.request(
        requestMeta(req),
        orgId,
        { email, ...(ctx.clientId ? { client_id: ctx.clientId } : {}) },
        { uiLocales: ctx.text.locale },
      );
      const { t } = ctx.text;
      sendPage(reply, 200, noticePage(ctx, t('page.reset.sent_title'), t('page.reset.sent', { email })));
    });
  }

  @Get('reset-password')
  resetForm(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('orgId') orgId: string) {
    return this.page(req, reply, orgId, 'reset-password', async (ctx) => {
      const token = tokenOf(req);
      if (!(await this.links.live('password_reset', orgId, token))) return this.expired(reply, ctx, 'forgot-password');
      sendPage(reply, 200, this.resetPage(ctx, token!));
    });
  }

  @Post('reset-password')
  completeReset(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('orgId') orgId: string) {
    return this.post(req, reply, orgId, 'reset-password', async (ctx, form) => {
      const token = form.token ?? '';
      const outcome = await this.linkOutcome(() =>
        this.resets.complete(requestMeta(req), orgId, { token, password: form.password ?? '' }),
      );
      if (outcome.kind === 'expired') return this.expired(reply, ctx, 'forgot-password');
      if (outcome.kind === 'weak')
        return sendPage(reply, 400, this.resetPage(ctx, token, weakText(ctx, outcome.reason)));
      const { t } = ctx.text;
      sendPage(reply, 200, noticePage(ctx, t('page.reset.done_title'), t('page.reset.done')));
    });
  }

  @Get('invitation')
  invitationForm(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('orgId') orgId: string) {
    return this.page(req, reply, orgId, 'invitation', async (ctx) => {
      const token = tokenOf(req);
      if (!(await this.links.live('invitation', orgId, token))) return this.expired(reply, ctx, null);
      sendPage(reply, 200, this.invitationPage(ctx, token!));
    });
  }

  @Post('invitation')
  acceptInvitation(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('orgId') orgId: string) {
    return this.post(req, reply, orgId, 'invitation', async (ctx, form) => {
      const token = form.token ?? '';
      const outcome = await this.linkOutcome(() =>
        this.invitations.accept(requestMeta(req), orgId, { token, password: form.password ?? '' }),
      );
      if (outcome.kind === 'expired') return this.expired(reply, ctx, null);
      if (outcome.kind === 'weak')
        return sendPage(reply, 400, this.invitationPage(ctx, token, weakText(ctx, outcome.reason)));
      const { t } = ctx.text;
      sendPage(reply, 201, noticePage(ctx, t('page.invitation.done_title'), t('page.invitation.done')));
    });
  }

  @Get('signup')
  signupForm(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('orgId') orgId: string) {
    return this.page(req, reply, orgId, 'signup', async (ctx) => {
      const signup = await this.links.signup(orgId);
      if (!signup) return this.pages.error(req, reply, 404, 'not_found');
      sendPage(reply, 200, signupPage(ctx, { org: ctx.branding.displayName, policyVersion: signup.policyVersion }));
    });
  }

  @Post('signup')
  requestSignup(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('orgId') orgId: string) {
    return this.post(req, reply, orgId, 'signup', async (ctx, form) => {
      const signup = await this.links.signup(orgId);
      if (!signup) return this.pages.error(req, reply, 404, 'not_found');
      const email = (form.email ?? '').trim().toLowerCase();
      const { t } = ctx.text;
      const again = (status: number, field: 'email' | 'password' | 'policy', message: string) =>
        sendPage(
          reply,
          status,
          signupPage(ctx, {
            org: ctx.branding.displayName,
            policyVersion: signup.policyVersion,
            email,
            error: { field, message },
          }),
        );
      if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 254) return again(400, 'email', t('page.invalid_email'));
      if (signup.policyVersion && form.policy_version !== signup.policyVersion)
        return again(400, 'policy', t('page.signup.policy_needed'));
      try {
        await this.signups.request(
          requestMeta(req),
          orgId,
          {
            email,
            password: form.password ?? '',
            ...(ctx.clientId ? { client_id: ctx.clientId } : {}),
            ...(signup.policyVersion ? { policy_version: signup.policyVersion } : {}),
          },
          { uiLocales: ctx.text.locale },
        );
      } catch (err) {
        if (!(err instanceof ProblemError)) throw err;
        if (err.code === 'signup_not_allowed')
          return again(403, 'email', t('page.signup.closed', { org: ctx.branding.displayName }));
        const weak = err.errors?.find((e) => e.path === 'password');
        if (weak) return again(400, 'password', weakText(ctx, weak.message));
        if (err.errors?.some((e) => e.path === 'policy_version'))
          return again(400, 'policy', t('page.signup.policy_needed'));
        throw err;
      }
      sendPage(reply, 200, noticePage(ctx, t('page.signup.sent_title'), t('page.signup.sent', { email })));
    });
  }

  @Get('verify-email')
  verifyForm(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('orgId') orgId: string) {
    return this.page(req, reply, orgId, 'verify-email', async (ctx) => {
      const token = tokenOf(req);
      if (!(await this.links.live('signup_verification', orgId, token))) return this.expired(reply, ctx, 'signup');
      sendPage(reply, 200, verifyEmailPage(ctx, token!, ctx.branding.displayName));
    });
  }

  @Post('verify-email')
  verify(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('orgId') orgId: string) {
    return this.post(req, reply, orgId, 'verify-email', async (ctx, form) => {
      const outcome = await this.linkOutcome(() => this.signups.verify(requestMeta(req), orgId, form.token ?? ''));
      if (outcome.kind !== 'done') return this.expired(reply, ctx, 'signup');
      const { t } = ctx.text;
      sendPage(reply, 201, noticePage(ctx, t('page.signup.done_title'), t('page.signup.done')));
    });
  }

  private resetPage(ctx: LinkPageContext, token: string, error?: string): string {
    const { t } = ctx.text;
    return newPasswordPage(ctx, {
      page: 'reset-password',
      title: t('page.reset.title'),
      intro: t('page.new_password.hint'),
      button: t('page.reset.save'),
      token,
      error,
    });
  }

  private invitationPage(ctx: LinkPageContext, token: string, error?: string): string {
    const { t } = ctx.text;
    return newPasswordPage(ctx, {
      page: 'invitation',
      title: t('page.invitation.title', { org: ctx.branding.displayName }),
      intro: t('page.invitation.intro'),
      button: t('page.invitation.accept'),
      token,
      error,
    });
  }

  private expired(reply: FastifyReply, ctx: LinkPageContext, askAgain: string | null): void {
    sendPage(reply, 400, linkExpiredPage(ctx, askAgain ? linkHref(ctx, askAgain) : null));
  }

  /** A flow's answer to a link: done, the link refused (one answer for every reason), or a weak password. */
  private async linkOutcome(
    run: () => Promise<unknown>,
  ): Promise<{ kind: 'done' } | { kind: 'expired' } | { kind: 'weak'; reason: string }> {
    try {
      await run();
      return { kind: 'done' };
    } catch (err) {
      if (err instanceof ProblemError && err.code === 'link_invalid') return { kind: 'expired' };
      const weak = err instanceof ProblemError ? err.errors?.find((e) => e.path === 'password') : undefined;
      if (weak) return { kind: 'weak', reason: weak.message };
      throw err;
    }
  }

  private async context(req: FastifyRequest, reply: FastifyReply, orgId: string, action: string) {
    const query = req.query as Record<string, unknown>;
    const form = formOf(req);
    const raw = req.method === 'POST' ? form.client_id : query.client_id;
    const clientId = typeof raw === 'string' && CLIENT.test(raw) ? raw : null;
    const ctx: LinkPageContext = {
      text: await this.pages.text(req, { orgId }),
      branding: await this.branding.forClient(orgId, clientId),
      csrf: this.csrf.issue(req, reply, this.config.issuer, action),
      requestId: requestId(req) ?? 'unknown',
      base: `/sign-in/${orgId}`,
      clientId,
    };
    return { ctx, form };
  }

  private async page(
    req: FastifyRequest,
    reply: FastifyReply,
    orgId: string,
    action: string,
    render: (ctx: LinkPageContext) => unknown,
  ): Promise<void> {
    if (!ORG.test(orgId)) return this.pages.error(req, reply, 404, 'not_found');
    try {
      const { ctx } = await this.context(req, reply, orgId, action);
      await render(ctx);
    } catch (err) {
      this.fail(req, reply, err);
    }
  }

  private async post(
    req: FastifyRequest,
    reply: FastifyReply,
    orgId: string,
    action: string,
    handle: (ctx: LinkPageContext, form: Record<string, string>) => unknown,
  ): Promise<void> {
    if (!ORG.test(orgId)) return this.pages.error(req, reply, 404, 'not_found');
    try {
      const form = formOf(req);
      if (!this.csrf.verify(req, action, form.csrf)) return this.pages.error(req, reply, 403, 'forbidden');
      const { ctx } = await this.context(req, reply, orgId, action);
      await handle(ctx, form);
    } catch (err) {
      this.fail(req, reply, err);
    }
  }

  /** Too many attempts is its own page (with Retry-After); anything else the usual error page. */
  private fail(req: FastifyRequest, reply: FastifyReply, err: unknown): void {
    if (err instanceof ProblemError && err.status === 429) {
      if (err.headers['Retry-After']) void reply.header('retry-after', err.headers['Retry-After']);
      void this.pages.error(req, reply, 429, 'rate_limited');
      return;
    }
    sendErrorPage(req, reply, err);
  }
}

function tokenOf(req: FastifyRequest): string | null {
  const token = (req.query as Record<string, unknown>).token;
  return typeof token === 'string' && token.length <= 256 ? token : null;
}

function weakText(ctx: LinkPageContext, reason: string): string {
  const key = WEAKNESS.find(([re]) => re.test(reason))?.[1] ?? 'page.weak.classes';
  return ctx.text.t('page.new_password.weak', { reason: ctx.text.t(key) });
}
