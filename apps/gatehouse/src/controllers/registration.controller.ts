import { Controller, Delete, Get, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InvalidClientMetadata } from '@gatehouse/core';
import { DynamicRegistration, type RegistrationResponse } from '@gatehouse/oauth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OAuthErrorFilter } from '../http/oauth-error.filter';
import { Public } from '../http/public.decorator';
import { requestMeta } from '../http/request-meta.decorator';

/**
 * RFC 7591 dynamic client registration and RFC 7592 read/delete
 * (docs/client-registration.md#dynamic-client-registration): JSON in and out, errors as
 * RFC 7591 §3.2.2 bodies, never cached.
 */
@ApiTags('oauth')
@Public()
@UseFilters(OAuthErrorFilter)
@Controller('oauth/register')
export class RegistrationController {
  constructor(private readonly registration: DynamicRegistration) {}

  @Post()
  async register(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      throw new InvalidClientMetadata('Send the client metadata as application/json.');
    }
    send(reply, await this.registration.register(req.body, requestMeta(req)));
  }

  @Get(':clientId')
  async read(@Param('clientId') clientId: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    send(reply, await this.registration.read(clientId, req.headers.authorization));
  }

  @Delete(':clientId')
  async remove(@Param('clientId') clientId: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    send(reply, await this.registration.delete(clientId, req.headers.authorization, requestMeta(req)));
  }
}

function send(reply: FastifyReply, r: RegistrationResponse): void {
  void reply.status(r.status).headers(r.headers).header('cache-control', 'no-store').header('pragma', 'no-cache');
  if (r.status === 204) void reply.send();
  else void reply.header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(r.body));
}
