import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { RequestMeta } from '@gatehouse/audit';
import type { Principal } from '@gatehouse/core';
import type { FastifyRequest } from 'fastify';

export function requestId(req: FastifyRequest): string | null {
  return typeof req.id === 'string' ? req.id : null;
}

export function requestMeta(req: FastifyRequest): RequestMeta {
  return { requestId: requestId(req), sourceIp: req.ip ?? null };
}

/** Request id and source address, for audit rows. */
export const Meta = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestMeta =>
  requestMeta(ctx.switchToHttp().getRequest<FastifyRequest>()),
);

/** The principal the bearer guard resolved. */
export const Caller = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<FastifyRequest & { user: Principal }>().user;
});
