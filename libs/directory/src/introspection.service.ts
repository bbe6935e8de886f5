import { Injectable } from '@nestjs/common';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { AccessTokenVerifier } from '@gatehouse/tokens';
import { PrincipalResolver } from './principal-resolver';

export type IntrospectionResponse =
  { active: false } | ({ active: true; token_type: 'Bearer' } & Record<string, unknown>);

/**
 * RFC 7662 introspection with the same liveness rules as every bearer route: signature,
 * expiry, revocation, a live (not deleted or disabled) principal. A token of another org
 * than the caller's is `{"active": false}` like any dead token — nothing else is said.
 */
@Injectable()
export class IntrospectionService {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly principals: PrincipalResolver,
    private readonly audit: AuditService,
  ) {}

  async introspect(
    meta: RequestMeta,
    caller: { id: string; orgId: string },
    token: string,
  ): Promise<IntrospectionResponse> {
    const live = await this.verifier
      .verify(token)
      .then(async (claims) => ({ claims, principal: await this.principals.resolve(claims) }))
      .catch(() => null);
    if (!live || live.claims.org_id !== caller.orgId) {
      await this.audit.recordAlone(meta, {
        action: 'token.introspected',
        outcome: 'failure',
        actor: { id: caller.id, tier: 'app' },
        orgId: caller.orgId,
        jti: live?.claims.jti ?? null,
        reason: live ? 'token of another organization' : 'inactive token',
      });
      return { active: false };
    }
    const { claims } = live;
    return { active: true, token_type: 'Bearer', ...claims };
  }
}
