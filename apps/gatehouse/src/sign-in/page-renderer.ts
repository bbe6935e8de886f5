import { Inject, Injectable } from '@nestjs/common';
import { GATEHOUSE_CONFIG, type GatehouseConfig } from '@gatehouse/core';
import type { FlowResult } from '@gatehouse/signin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestId } from '../http/request-meta.decorator';
import { BRANDING_SOURCE, type BrandingSource } from './branding';
import { origin, sendPage, sendRedirect } from './browser-http';
import { acceptLanguage, messagesFor } from './messages/catalogue';
import type { Messages } from './messages/en';
import { consentPage, errorPage, FACTOR_PAGES, formPostPage, identifyPage, stoppedPage } from './pages/pages';
import type { AuthorizationResponse } from '@gatehouse/signin';
import { responseLocation } from '@gatehouse/signin';

/** Turns the flow's results into pages and redirects (docs/sign-in.md#pages). */
@Injectable()
export class PageRenderer {
  constructor(
    @Inject(BRANDING_SOURCE) private readonly branding: BrandingSource,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  messages(req: FastifyRequest, uiLocales: readonly string[] = []): Messages {
    return messagesFor([...uiLocales, ...acceptLanguage(req.headers['accept-language'])]);
  }

  async error(req: FastifyRequest, reply: FastifyReply, status: number, key: string, detail?: string): Promise<void> {
    const branding = await this.branding.forOrg(null);
    if (status === 503) void reply.header('retry-after', '5');
    sendPage(reply, status, errorPage(this.messages(req), branding, key, requestId(req) ?? 'unknown', detail));
  }

  async respond(req: FastifyRequest, reply: FastifyReply, response: AuthorizationResponse): Promise<void> {
    if (response.mode === 'form_post') {
      const branding = await this.branding.forOrg(null);
      sendPage(
        reply,
        200,
        formPostPage(this.messages(req), branding, response.redirectUri, response.params),
        origin(response.redirectUri),
      );
      return;
    }
    sendRedirect(reply, responseLocation(response));
  }

  async flow(req: FastifyRequest, reply: FastifyReply, result: FlowResult, orgId: string | null): Promise<void> {
    switch (result.kind) {
      case 'next':
        return sendRedirect(reply, '/sign-in');
      case 'expired':
        return this.error(req, reply, 400, 'expired');
      case 'forbidden':
        return this.error(req, reply, 403, 'forbidden');
      case 'respond':
        return this.respond(req, reply, result.response);
      case 'stopped': {
        const branding = await this.branding.forOrg(orgId);
        sendPage(
          reply,
          403,
          stoppedPage(this.messages(req), branding, {
            message: result.message,
            recovery: result.recovery,
            decisionId: result.decisionId,
            back: result.response.mode === 'query' ? responseLocation(result.response) : null,
          }),
        );
        return;
      }
      case 'page': {
        const branding = await this.branding.forOrg(orgId);
        const ctx = {
          m: this.messages(req, result.uiLocales),
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
