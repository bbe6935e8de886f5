import { Injectable } from '@nestjs/common';
import { InvalidGrant, InvalidRequest, epochSeconds } from '@gatehouse/core';
import { type Tx } from '@gatehouse/db';
import { SessionRotation, userLiveness, type RefreshFamilyInfo, type Renewal } from '@gatehouse/tokens';
import type { GrantHandler, GrantRequest, TokenResponse } from './grant';
import { selectScopes } from './scope';

/**
 * RFC 6749 §6 refresh for user sessions. The refresh token is bound to the app that
 * signed the user in: that app must name itself (client_id, or full client authentication
 * when it sends a secret: the endpoint does both) and still be live, and the user must
 * still be live in the org. Every use rotates the token; a spent one revokes the family
 * (RFC 9700 §4.14). A narrower `scope` may be asked for, never a wider one — and never
 * more than the app holds now: a scope withdrawn from the app leaves its users' sessions
 * at the next refresh (§6: "MUST NOT include any scope not originally granted").
 */
@Injectable()
export class RefreshTokenGrant implements GrantHandler {
  readonly grantType = 'refresh_token';
  readonly parameters = [{ name: 'refresh_token' }, { name: 'scope' }] as const;
  readonly clientAuthentication = 'optional';

  constructor(private readonly sessions: SessionRotation) {}

  handle(req: GrantRequest): Promise<TokenResponse> {
    const presented = req.params.get('refresh_token');
    if (!presented) throw new InvalidRequest('refresh_token is required.');
    const clientId = req.client.id;
    return this.sessions.rotate(
      req.meta,
      presented,
      { tier: 'user', clientId },
      (family, tx) => this.renew(family, tx, clientId, req.params.get('scope')),
      () => new InvalidGrant('The refresh token is invalid, expired or revoked.'),
    );
  }

  private async renew(
    family: RefreshFamilyInfo,
    tx: Tx,
    clientId: string,
    scope: string | undefined,
  ): Promise<Renewal> {
    const orgId = family.orgId ?? undefined;
    const user = await tx.user.findUnique({
      where: { id: family.subjectId },
      select: { id: true, orgId: true, disabled: true, org: { select: { id: true, name: true } } },
    });
    const app = await tx.application.findUnique({
      where: { id: clientId },
      select: { orgId: true, disabled: true, tokenTtlS: true, scopes: true, delegates: true },
    });
    const live = userLiveness(user, app, orgId);
    if (!live.live || !user || !app) return { invalid: live.live ? 'user unknown' : live.reason };
    const held = family.scope.split(' ').filter((s) => app.scopes.includes(s));
    const scopes = selectScopes(scope, held);
    return {
      issue: {
        kind: 'refresh_token',
        subject: { tier: 'user', id: user.id, org: user.org, clientId },
        scopes,
        ttlS: app.tokenTtlS,
        mayAct: app.delegates,
        authTime: epochSeconds(family.createdAt),
        audit: {
          action: 'token.refreshed',
          target: { type: 'refresh_family', id: family.familyId },
          details: { tier: 'user', client_id: clientId, scope: scopes.join(' '), expires_in: app.tokenTtlS },
        },
      },
    };
  }
}
