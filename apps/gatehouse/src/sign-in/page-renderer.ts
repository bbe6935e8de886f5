import { Inject, Injectable } from '@nestjs/common';
import { GATEHOUSE_CONFIG, type GatehouseConfig } from '@gatehouse/core';
import type { FlowResult } from '@gatehouse/signin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestId } from '../http/request-meta.decorator';
import { BRANDING_SOURCE, DEFAULT_BRANDING, type BrandingSource } from './branding';
import { origin, sendPage, sendRedirect } from './browser-http';
import { pageText, type PageText } from './page-text';
import {
  consentPage,
  errorPage,
  FACTOR_PAGES,
  policyPage,
  formPostPage,
  identifyPage,
  stoppedPage,
} from './pages/pages';
import { negotiateLocale, responseLocation, type AuthorizationResponse } from '@gatehouse/signin';
import { SignInSettingsService } from '@gatehouse/directory';

interface StoppedOutcome {
  message: string;
  recovery: string;
  decisionId: string;
  response: AuthorizationResponse;
  orgId?: string;
  clientId?: string;
}

/** Turns the flow's results into pages and redirects (docs/sign-in.md#pages). */
@Injectable()
export class PageRenderer {
  constructor(
    @Inject(BRANDING_SOURCE) private readonly branding: BrandingSource,
    private readonly settings: SignInSettingsService,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  /**
   * The page's locale (docs/sign-in-experience.md#languages): `ui_locales`, then
   * `Accept-Language`, then the org's `default_locale`, then English.
   */
  async text(
    req: FastifyRequest,
    at: { uiLocales?: readonly string[]; orgId?: string | null } = {},
  ): Promise<PageText> {
    const orgDefault = at.orgId ? (await this.settings.effective(at.orgId)).default_locale : null;
    return pageText(
      negotiateLocale({
        uiLocales: at.uiLocales?.join(' ') ?? null,
        acceptLanguage: req.headers['accept-language'] ?? null,
        orgDefault,
      }),
    );
  }

  async error(
    req: FastifyRequest,
    reply: FastifyReply,
    status: number,
    key: string,
    detail?: string,
    uiLocales?: readonly string[],
  ): Promise<void> {
    const branding = DEFAULT_BRANDING;
    if (status === 503) void reply.header('retry-after', '5');
    sendPage(
      reply,
      status,
      errorPage(await this.text(req, { uiLocales }), branding, key, requestId(req) ?? 'unknown', detail),
    );
  }

  async respond(req: FastifyRequest, reply: FastifyReply, response: AuthorizationResponse): Promise<void> {
    if (response.mode === 'form_post') {
      const branding = DEFAULT_BRANDING;
      sendPage(
        reply,
        200,
        formPostPage(await this.text(req), branding, response.redirectUri, response.params),
        origin(response.redirectUri),
      );
      return;
    }
    sendRedirect(reply, responseLocation(response));
  }

  /** A decision stopped the sign-in (docs/sign-in.md#the-flow): 403 with the reason and its id. */
  async stopped(
    req: FastifyRequest,
    reply: FastifyReply,
    s: StoppedOutcome,
    uiLocales?: readonly string[],
  ): Promise<void> {
    const orgId = s.orgId ?? null;
    sendPage(
      reply,
      403,
      stoppedPage(await this.text(req, { uiLocales, orgId }), await this.branding.forClient(orgId, s.clientId), {
        message: s.message,
        recovery: s.recovery,
        decisionId: s.decisionId,
        back: s.response.mode === 'query' ? responseLocation(s.response) : null,
      }),
    );
  }

  async flow(req: FastifyRequest, reply: FastifyReply, result: FlowResult): Promise<void> {
    switch (result.kind) {
      case 'next':
        return sendRedirect(reply, '/sign-in');
      case 'expired':
        return this.error(req, reply, 400, 'expired');
      case 'forbidden':
        return this.error(req, reply, 403, 'forbidden');
      case 'respond':
        return this.respond(req, reply, result.response);
      case 'stopped':
        return this.stopped(req, reply, result);
      case 'page': {
        const branding = await this.branding.forClient(result.orgId, result.clientId);
        const base = `/sign-in/${result.orgId}`;
        const client = `?client_id=${encodeURIComponent(result.clientId)}`;
        const ctx = {
          links: {
            forgotPassword: `${base}/forgot-password${client}`,
            signUp: (await this.settings.effective(result.orgId)).signup === 'off' ? null : `${base}/signup${client}`,
          },
          text: await this.text(req, { uiLocales: result.uiLocales, orgId: result.orgId }),
          branding,
          csrf: result.csrf,
          requestId: requestId(req) ?? 'unknown',
          passkeyOrigins: this.config.webauthn.origins,
        };
        const { view } = result;
        const target = `https://${view.client.redirectHost}`;
        const body =
          view.page === 'identify'
            ? identifyPage(ctx, view, result.status === 400)
            : view.page === 'consent'
              ? consentPage(ctx, view)
              : view.page === 'policy'
                ? policyPage(ctx, view)
                : (FACTOR_PAGES[view.step] ?? FACTOR_PAGES.password)(ctx, view);
        sendPage(reply, result.status, body, formTargets(target, view.client.redirectHost));
        return;
      }
    }
  }
}

/** The origins a form of the flow may end at: the client's redirect host, over https or http (loopback apps). */
function formTargets(httpsOrigin: string, host: string): string {
  return `${httpsOrigin} http://${host}`;
}
