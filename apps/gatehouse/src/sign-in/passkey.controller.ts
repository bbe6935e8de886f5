import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SignInFlow } from '@gatehouse/signin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../http/public.decorator';
import { requestMeta } from '../http/request-meta.decorator';
import { formOf, INTERACTION_COOKIE, readCookie } from './browser-http';
import { PASSKEY_JS, SIMPLEWEBAUTHN_BROWSER_JS } from './passkey-script';

const STATUS = { expired: 400, forbidden: 403, rate_limited: 429 } as const;

/**
 * The passkey side of the hosted pages (docs/sign-in-experience.md#passkeys-on-the-pages):
 * the two scripts, and `POST /sign-in/passkey/options`, which the page script calls for the
 * options of the ceremony the sign-in is at. The answer is JSON, never cached; a refusal
 * carries only its kind (the reason is in the audit trail).
 */
@ApiExcludeController()
@Public()
@Controller('sign-in')
export class PasskeyPagesController {
  constructor(private readonly flow: SignInFlow) {}

  @Get('assets/simplewebauthn-browser.js')
  library(@Res() reply: FastifyReply) {
    script(reply, SIMPLEWEBAUTHN_BROWSER_JS);
  }

  @Get('assets/passkeys.js')
  pageScript(@Res() reply: FastifyReply) {
    script(reply, PASSKEY_JS);
  }

  @Post('passkey/options')
  async options(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const result = await this.flow.passkeyOptions(
      requestMeta(req),
      readCookie(req, INTERACTION_COOKIE),
      formOf(req).csrf,
    );
    void reply
      .status(result.kind === 'options' ? 200 : STATUS[result.kind])
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header('content-type', 'application/json; charset=utf-8')
      .send(JSON.stringify(result.kind === 'options' ? result.options : { error: result.kind }));
  }
}

function script(reply: FastifyReply, body: string): void {
  void reply
    .header('content-type', 'text/javascript; charset=utf-8')
    .header('cache-control', 'public, max-age=3600')
    .header('x-content-type-options', 'nosniff')
    .send(body);
}
