import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { RefusalAudit } from '@gatehouse/audit';
import { ProblemError, Problems, type Principal } from '@gatehouse/core';
import { AccessTokenVerifier, PrincipalResolver } from '@gatehouse/tokens';
import { Strategy } from 'passport-custom';
import type { FastifyRequest } from 'fastify';
import { requestMeta } from '../http/request-meta.decorator';

/**
 * RFC 6750 bearer authentication: the Authorization header only (tokens in query strings
 * end up in logs). The token is verified against our own keys, then its principal is
 * resolved from live state.
 */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly principals: PrincipalResolver,
    private readonly refusals: RefusalAudit,
  ) {
    super();
  }

  async validate(req: FastifyRequest): Promise<Principal> {
    const header = req.headers.authorization;
    if (!header) throw Problems.missingToken();
    try {
      const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header.trim());
      if (!match) throw Problems.invalidToken('The Authorization header is not a Bearer token.');
      const claims = await this.verifier.verify(match[1]);
      return await this.principals.resolve(claims);
    } catch (err) {
      if (err instanceof ProblemError && err.status === 401) {
        await this.refusals.tokenRejected(requestMeta(req), err.detail ?? err.title);
      }
      throw err;
    }
  }
}
