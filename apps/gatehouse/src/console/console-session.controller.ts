import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import { GATEHOUSE_CONFIG, ProblemError, Problems, type AdminPrincipal, type GatehouseConfig } from '@gatehouse/core';
import { AdminAuthService, type AdminTokens } from '@gatehouse/signin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { jsonSchema } from '../http/openapi';
import { Public } from '../http/public.decorator';
import { Caller, Meta } from '../http/request-meta.decorator';
import { adminMfa } from '../http/schemas';
import { ZodPipe } from '../http/zod.pipe';
import { CONSOLE_HEADER, consoleOrigins, csrfRefusal } from './csrf';
import { parseCookies, REFRESH_COOKIE, refreshCookie } from './session-cookie';

const CSRF_HEADER_DOC = {
  name: 'X-Gatehouse-Console',
  required: true,
  description: 'Must be `1`; with the Origin check it is the CSRF defence (docs/console.md#csrf).',
};

const ACCESS_ONLY = {
  schema: {
    type: 'object',
    properties: {
      access_token: { type: 'string' },
      token_type: { type: 'string', enum: ['Bearer'] },
      expires_in: { type: 'integer' },
      scope: { type: 'string' },
    },
  },
};

/**
 * The console's browser session (docs/console.md#session): the same sign-in, refresh and
 * sign-out as /v1/admin/*, except that the refresh token never reaches page script — it
 * travels only in an HttpOnly, SameSite=Strict cookie scoped to these routes — and every
 * request must pass the CSRF check. The access token is returned in the body and kept in
 * memory by the console.
 */
@ApiTags('console session')
@Controller('v1/console/session')
export class ConsoleSessionController {
  constructor(
    private readonly auth: AdminAuthService,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  @Public()
  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Second sign-in step for the console: mfa_token + code → access token and refresh cookie' })
  @ApiHeader(CSRF_HEADER_DOC)
  @ApiBody({ schema: jsonSchema(adminMfa) })
  @ApiResponse({ status: 200, description: 'Sets the refresh cookie', ...ACCESS_ONLY })
  async create(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Meta() meta: RequestMeta,
    @Body(new ZodPipe(adminMfa)) body: z.infer<typeof adminMfa>,
  ) {
    this.checkCsrf(req);
    return this.issue(req, reply, await this.auth.completeMfa(meta, body.mfa_token, body.code));
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotates the refresh cookie and returns a new access token' })
  @ApiHeader(CSRF_HEADER_DOC)
  @ApiResponse({ status: 200, description: 'Sets the rotated refresh cookie', ...ACCESS_ONLY })
  async refresh(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Meta() meta: RequestMeta,
  ) {
    this.checkCsrf(req);
    const presented = parseCookies(req.headers.cookie).get(REFRESH_COOKIE);
    if (!presented) {
      throw new ProblemError(401, 'invalid_grant', 'No console session', {
        detail: 'There is no console session in this browser; sign in again.',
      });
    }
    try {
      return this.issue(req, reply, await this.auth.refresh(meta, presented));
    } catch (err) {
      this.clear(req, reply);
      throw err;
    }
  }

  @ApiBearerAuth()
  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'Ends the console session: revokes the refresh family and deletes the cookie' })
  @ApiHeader(CSRF_HEADER_DOC)
  async logout(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Meta() meta: RequestMeta,
    @Caller() admin: AdminPrincipal,
  ) {
    this.checkCsrf(req);
    const presented = parseCookies(req.headers.cookie).get(REFRESH_COOKIE);
    this.clear(req, reply);
    if (presented) await this.auth.logout(meta, admin, presented);
  }

  private issue(req: FastifyRequest, reply: FastifyReply, tokens: AdminTokens) {
    const { refresh_token, ...access } = tokens;
    void reply.header(
      'set-cookie',
      refreshCookie(refresh_token, this.cookieOptions(req, this.config.refreshTokenTtlS)),
    );
    void reply.header('cache-control', 'no-store');
    return access;
  }

  private clear(req: FastifyRequest, reply: FastifyReply): void {
    void reply.header('set-cookie', refreshCookie('', this.cookieOptions(req, 0)));
  }

  private cookieOptions(req: FastifyRequest, maxAgeS: number) {
    return { maxAgeS, secure: req.protocol === 'https' || this.config.issuer.startsWith('https:') };
  }

  private checkCsrf(req: FastifyRequest): void {
    const header = (name: string) => {
      const v = req.headers[name];
      return typeof v === 'string' ? v : undefined;
    };
    const refusal = csrfRefusal(
      { origin: header('origin'), consoleHeader: header(CONSOLE_HEADER), fetchSite: header('sec-fetch-site') },
      consoleOrigins(this.config.issuer, req.protocol, req.host),
    );
    if (refusal) throw Problems.forbidden(`Console requests must come from the console: ${refusal}.`);
  }
}
