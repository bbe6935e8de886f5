import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '@gatehouse/audit';
import {
  GATEHOUSE_CONFIG,
  InvalidRequest,
  ProblemError,
  TemporarilyUnavailable,
  type GatehouseConfig,
} from '@gatehouse/core';
import { AccessTokenVerifier, GatedAccess, PrincipalResolver, type AccessTokenClaims } from '@gatehouse/tokens';
import { actorChain } from '@gatehouse/verifier';
import { ClientAuthenticator, type AuthenticatedClient } from './client-authenticator';
import { SelfRegisteredAuthenticator } from './clients/self-registered-authenticator';
import type { TokenRequest } from './grant';

export type IntrospectionResponse =
  | { active: false; reason?: string; recovery?: string; decision_id?: string }
  | ({ active: true; token_type: 'Bearer' | 'DPoP' } & Record<string, unknown>);

/**
 * RFC 7662 introspection, for authenticated clients, with the same rules as every bearer
 * route: signature, expiry, revocation (the token, its ancestors, its principal), a live
 * principal, and the access gate. A token of another org than the caller's is
 * `{"active": false}` like any dead token — nothing else is said. A token bound to a
 * registered resource (RFC 8707 `aud`) is answered truly only to the client it was issued to
 * and to the org's apps that name the resource in their `audiences` (its resource servers);
 * to anyone else it is `{"active": false}` too (docs/resources.md#introspection). A token
 * the gate stops is inactive too, with the reason for the resource server that asked
 * (docs/control.md).
 *
 * A self-registered client (metadata document or dynamic registration) authenticates for the
 * organization of the token it sends and is answered truly about its own tokens only; a token
 * that is not live is `{"active": false}` before any authentication
 * (docs/client-registration.md#revocation-and-introspection).
 *
 * When the answer cannot be decided (the database or the revocation state unreachable),
 * the answer is 503 with Retry-After, never a silent `active: false`, and the cause is logged.
 */
@Injectable()
export class IntrospectionEndpoint {
  private readonly log = new Logger('Introspection');

  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly verifier: AccessTokenVerifier,
    private readonly principals: PrincipalResolver,
    private readonly access: GatedAccess,
    private readonly audit: AuditService,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
    private readonly selfRegistered: SelfRegisteredAuthenticator,
  ) {}

  async introspect(req: TokenRequest): Promise<IntrospectionResponse> {
    const selfId = this.selfRegistered.claimedId(req);
    let caller = selfId ? null : await this.clients.authenticate(req);
    const token = req.params.get('token');
    if (!token) throw new InvalidRequest('token is required.');
    const claims = await this.liveClaims(token);
    if (!caller) {
      // Nothing to place it in an organization by: nothing is said, and nobody needs authenticating.
      if (!claims?.org_id) return { active: false };
      caller = await this.selfRegistered.authenticate(req, selfId!, claims.org_id);
    }
    const hidden = !claims
      ? 'inactive token'
      : claims.org_id !== caller.orgId
        ? 'token of another organization'
        : !this.mayIntrospect(caller, claims)
          ? 'token for another audience'
          : null;
    if (!claims || hidden) {
      await this.audit.recordAlone(req.meta, {
        action: 'token.introspected',
        outcome: 'failure',
        actor: { id: caller.id, tier: 'app' },
        orgId: caller.orgId,
        jti: claims?.jti ?? null,
        reason: hidden,
      });
      return { active: false };
    }
    const decision = await this.access.decide(req.meta, {
      point: 'introspection',
      subject: { tier: claims.tier, id: claims.sub, orgId: claims.org_id, clientId: claims.client_id },
      scopes: claims.scope.split(' ').filter(Boolean),
      jti: claims.jti,
      step: claims.step,
      actors: claims.act ? actorChain(claims.act) : undefined,
      context: { resource_server: caller.id },
    });
    if (decision.outcome !== 'allow') {
      return { active: false, reason: decision.reason, recovery: decision.recovery, decision_id: decision.decisionId };
    }
    // RFC 9449 §6.2: a bound token is `token_type: DPoP`, and `cnf` (among the claims) names its key.
    return {
      active: true,
      token_type: claims.cnf ? 'DPoP' : 'Bearer',
      ...claims,
      ...(claims.act ? { delegation_depth: actorChain(claims.act).length } : {}),
    };
  }

  /**
   * docs/resources.md#introspection: a token for the default audience, any app of its org; a
   * token bound to a registered resource, the client it was issued to and the apps that name
   * the resource among their `audiences`.
   */
  private mayIntrospect(caller: AuthenticatedClient, claims: AccessTokenClaims): boolean {
    // A self-registered client is no resource server: its own tokens only.
    if (this.selfRegistered.isSelfRegistered(caller.id)) return caller.id === claims.client_id;
    const bound = [claims.aud].flat().filter((a) => a !== this.config.audience);
    if (bound.length === 0) return true;
    return caller.id === claims.client_id || bound.some((a) => caller.audiences.includes(a));
  }

  /** The claims of a live token; null for a token that is not (bad, expired, revoked, principal gone). */
  private async liveClaims(token: string): Promise<AccessTokenClaims | null> {
    try {
      // Any audience of ours: who may see an audience-bound token is decided by mayIntrospect.
      const claims = await this.verifier.verify(token, { anyAudience: true });
      await this.principals.resolve(claims);
      return claims;
    } catch (err) {
      if (err instanceof ProblemError && err.status === 401) return null;
      this.log.error({ err }, 'introspection could not decide');
      throw new TemporarilyUnavailable('The token state cannot be read right now; try again shortly.', {
        headers: { 'Retry-After': '5' },
        detail: (err as Error)?.message,
      });
    }
  }
}
