import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { RefusalAudit } from '@gatehouse/audit';
import { GATEHOUSE_CONFIG, ProblemError, Problems, type GatehouseConfig, type Principal } from '@gatehouse/core';
import {
  AccessTokenVerifier,
  DpopProofs,
  DpopRefused,
  PrincipalResolver,
  type AccessTokenClaims,
} from '@gatehouse/tokens';
import { Strategy } from 'passport-custom';
import type { FastifyRequest } from 'fastify';
import { requestMeta } from '../http/request-meta.decorator';

const AUTHORIZATION = /^(Bearer|DPoP) ([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * RFC 6750 bearer authentication, and RFC 9449 §7 DPoP: the Authorization header only
 * (tokens in query strings end up in logs). The token is verified against our own keys;
 * a DPoP-bound token (`cnf.jkt`) is accepted only as `Authorization: DPoP` with a proof of
 * its key for this request, and an unbound one only as `Bearer`; then its principal is
 * resolved from live state.
 */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly principals: PrincipalResolver,
    private readonly refusals: RefusalAudit,
    private readonly proofs: DpopProofs,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {
    super();
  }

  async validate(req: FastifyRequest): Promise<Principal> {
    const header = req.headers.authorization;
    if (!header) throw Problems.missingToken();
    try {
      const match = AUTHORIZATION.exec(header.trim());
      if (!match) throw Problems.invalidToken('The Authorization header is not a Bearer or DPoP token.');
      const dpopScheme = match[1]!.toLowerCase() === 'dpop';
      const claims = await this.verifier.verify(match[2]!);
      if (claims.cnf !== undefined || dpopScheme) await this.proveKey(req, dpopScheme, match[2]!, claims);
      return await this.principals.resolve(claims);
    } catch (err) {
      // DPoP refusals were audited as dpop.proof_rejected already.
      if (err instanceof ProblemError && err.status === 401 && !isDpopProblem(err)) {
        await this.refusals.tokenRejected(requestMeta(req), err.detail ?? err.title);
      }
      throw err;
    }
  }

  /** RFC 9449 §7.1: the proof must be of the token's key, for this method and URI, with `ath`, not replayed. */
  private async proveKey(req: FastifyRequest, dpopScheme: boolean, token: string, claims: AccessTokenClaims) {
    const route = req.routeOptions?.url ?? req.url.split('?')[0];
    const ctx = {
      meta: requestMeta(req),
      endpoint: `${req.method} ${route}`,
      actor: { id: claims.sub, tier: claims.tier },
      orgId: claims.org_id ?? null,
      jti: claims.jti,
    };
    const jkt = claims.cnf?.jkt;
    // A token sent with the wrong scheme is an invalid token; a bad proof, an invalid proof.
    let error: 'invalid_token' | 'invalid_dpop_proof' = 'invalid_token';
    try {
      if (!dpopScheme) throw await this.proofs.refuse(ctx, 'A DPoP-bound token was sent as a bearer token.');
      if (typeof jkt !== 'string') {
        throw await this.proofs.refuse(ctx, 'This token is not DPoP-bound: send it with the Bearer scheme.');
      }
      error = 'invalid_dpop_proof';
      await this.proofs.check(
        req.headers.dpop,
        { method: req.method, url: `${this.config.issuer}${req.url}`, accessToken: token, jkt },
        ctx,
      );
    } catch (err) {
      if (!(err instanceof DpopRefused)) throw err;
      throw dpopProblem(error, err.description, this.proofs.algs);
    }
  }
}

/** A 401 with the DPoP challenge (RFC 9449 §7.1): `WWW-Authenticate: DPoP error=…, algs=…`. */
function dpopProblem(error: 'invalid_token' | 'invalid_dpop_proof', description: string, algs: readonly string[]) {
  return new ProblemError(401, error, error === 'invalid_token' ? 'Invalid access token' : 'Invalid DPoP proof', {
    detail: description,
    headers: {
      'WWW-Authenticate': `DPoP error="${error}", error_description="${description.replace(/["\\]/g, '')}", algs="${algs.join(' ')}"`,
    },
  });
}

function isDpopProblem(err: ProblemError): boolean {
  return err.headers['WWW-Authenticate']?.startsWith('DPoP ') ?? false;
}
