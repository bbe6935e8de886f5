import { Controller, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { GATEHOUSE_CONFIG, type GatehouseConfig } from '@gatehouse/core';
import { SESSION_ABSOLUTE_S, SignInFlow, type FlowResult } from '@gatehouse/signin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../http/public.decorator';
import { requestMeta } from '../http/request-meta.decorator';
import { FORM_POST_JS, SIGN_IN_CSS } from './assets';
import { brandStylesheet } from './branding';
import { formOf, INTERACTION_COOKIE, interactionCookie, readCookie, sessionCookie } from './browser-http';
import { sendErrorPage } from './page-errors';
import { PageRenderer } from './page-renderer';
import { signInPages } from '../metrics/metrics';

const ACTION = /^[a-z_]{1,32}$/;

/**
 * The hosted sign-in pages (docs/sign-in.md#pages): `GET /sign-in` shows the stage the
 * sign-in is at; `POST /sign-in/{step}` submits one step and answers 303 (to the next page,
 * or back to the client). The interaction's handle travels only in an HttpOnly cookie scoped
 * to /sign-in, never in a URL.
 */
@ApiExcludeController()
@Public()
@Controller('sign-in')
export class SignInController {
  constructor(
    private readonly flow: SignInFlow,
    private readonly pages: PageRenderer,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  @Get('assets/sign-in.css')
  css(@Res() reply: FastifyReply) {
    void reply
      .header('content-type', 'text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .header('x-content-type-options', 'nosniff')
      .send(SIGN_IN_CSS);
  }

  @Get('assets/form-post.js')
  js(@Res() reply: FastifyReply) {
    void reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .header('x-content-type-options', 'nosniff')
      .send(FORM_POST_JS);
  }

  /** The brand's colour as a stylesheet (docs/sign-in-experience.md#branding): the name is the colour. */
  @Get('assets/brand/:file')
  brand(@Param('file') file: string, @Res() reply: FastifyReply) {
    const css = brandStylesheet(file);
    if (!css) return void reply.status(404).header('content-type', 'text/plain').send('not found');
    void reply
      .header('content-type', 'text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(css);
  }

  @Get()
  async show(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    await this.run(req, reply, () => this.flow.show(requestMeta(req), readCookie(req, INTERACTION_COOKIE)));
  }

  @Post(':action')
  async submit(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('action') action: string) {
    if (!ACTION.test(action)) return this.pages.error(req, reply, 404, 'not_found');
    await this.run(req, reply, () =>
      this.flow.submit(requestMeta(req), readCookie(req, INTERACTION_COOKIE), action, formOf(req)),
    );
  }

  private async run(req: FastifyRequest, reply: FastifyReply, step: () => Promise<FlowResult>): Promise<void> {
    try {
      const result = await step();
      signInPages.inc({
        result: result.kind === 'respond' ? ('code' in result.response.params ? 'code' : 'denied') : result.kind,
      });
      const cookies: string[] = [];
      if (result.kind === 'respond' || result.kind === 'stopped' || result.kind === 'expired') {
        cookies.push(interactionCookie(this.config.issuer, '', 0));
      }
      if (result.kind === 'respond' && result.sessionCookie) {
        cookies.push(sessionCookie(this.config.issuer, result.sessionCookie, SESSION_ABSOLUTE_S));
      }
      if (cookies.length) void reply.header('set-cookie', cookies);
      await this.pages.flow(req, reply, result);
    } catch (err) {
      sendErrorPage(req, reply, err);
    }
  }
}
