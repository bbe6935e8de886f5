import { Injectable } from '@nestjs/common';
import type { RequestMeta } from '@gatehouse/audit';
import { ProblemError, type AdminPrincipal } from '@gatehouse/core';
import {
  AccessTokenVerifier,
  GatedAccess,
  PrincipalResolver,
  TokenRevocationService,
  type AccessDecision,
} from '@gatehouse/tokens';
import { actorChain } from '@gatehouse/verifier';
import { mayInspect } from './token-inspection';

export type TokenInspection =
  | { valid: false; error: string }
  | {
      valid: true;
      claims: Record<string, unknown>;
      act_chain: string[];
      revoked: boolean;
      principal: { live: true } | { live: false; reason: string };
      decision: DecisionView;
    };

type DecisionView =
  | { outcome: 'allow'; decision_id?: string }
  | { outcome: 'deny' | 'review'; code: string; message: string; recovery: string; decision_id: string };

const HIDDEN = 'The token is not valid, or it belongs to an organization you cannot see.';

/**
 * What the console's token inspector shows (docs/console.md#token-inspector): the token's
 * verified claims, its delegation chain, whether it is revoked, whether its principal is
 * still live, and the access gate's decision for it now. A token the caller may not see is
 * answered exactly like an invalid one; to an org admin, every invalid one answers the same.
 */
@Injectable()
export class TokenInspectionService {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly revocations: TokenRevocationService,
    private readonly principals: PrincipalResolver,
    private readonly gate: GatedAccess,
  ) {}

  async inspect(meta: RequestMeta, admin: AdminPrincipal, token: string): Promise<TokenInspection> {
    let claims;
    try {
      // A token for a registered resource (RFC 8707 `aud`) is one of ours too.
      claims = await this.verifier.verifySignatureAndClaims(token, { anyAudience: true });
    } catch (err) {
      // An org admin gets one answer for every token it cannot inspect: a forged, expired or
      // malformed one reads exactly like another org's genuine token, so the answer never
      // tells it that a token it cannot see is real (docs/console.md#token-inspector).
      if (err instanceof ProblemError && err.code === 'invalid_token')
        return { valid: false, error: admin.role === 'platform' ? (err.detail ?? HIDDEN) : HIDDEN };
      throw err;
    }
    if (!mayInspect(admin, claims)) return { valid: false, error: HIDDEN };
    const revoked = await this.revocations.isRevoked(claims);
    const principal = await this.principals.resolve(claims).then(
      () => ({ live: true as const }),
      (err: unknown) => {
        if (err instanceof ProblemError && err.status < 500)
          return { live: false as const, reason: err.detail ?? err.title };
        throw err;
      },
    );
    const chain = actorChain(claims.act);
    const decision = await this.gate.decide(meta, {
      point: 'introspection',
      subject: { tier: claims.tier, id: claims.sub, orgId: claims.org_id, clientId: claims.client_id },
      scopes: claims.scope.split(' ').filter(Boolean),
      jti: claims.jti,
      step: claims.step,
      actors: chain,
    });
    return { valid: true, claims: { ...claims }, act_chain: chain, revoked, principal, decision: view(decision) };
  }
}

function view(d: AccessDecision): DecisionView {
  if (d.outcome === 'allow')
    return d.decisionId ? { outcome: 'allow', decision_id: d.decisionId } : { outcome: 'allow' };
  return { outcome: d.outcome, code: d.reason, message: d.message, recovery: d.recovery, decision_id: d.decisionId };
}
