import { Inject, Injectable } from '@nestjs/common';
import {
  GATEHOUSE_CONFIG,
  InvalidGrant,
  InvalidRequest,
  InvalidTarget,
  epochSeconds,
  isId,
  type GatehouseConfig,
} from '@gatehouse/core';
import type { SqlTransaction } from '@gatehouse/db';
import { SessionRotation, userLiveness, type RefreshFamilyInfo, type Renewal } from '@gatehouse/tokens';
import type { AuthenticatedClient } from './client-authenticator';
import { OIDC_SCOPES } from './authorization/authorization-request';
import type { GrantHandler, GrantRequest, TokenResponse } from './grant';
import { capLifetime, resolveResource, selectResourceScopes } from './resources/resolve-resource';

/**
 * RFC 6749 §6 refresh for user sessions. The refresh token is bound to the app that
 * signed the user in: that app must name itself (client_id, or full client authentication
 * when it sends a secret: the endpoint does both) and still be live, and the user must
 * still be live in the org. Every use rotates the token; a spent one revokes the family
 * (RFC 9700 §4.14). A narrower `scope` may be asked for, never a wider one — and never
 * more than the app holds now: a scope withdrawn from the app leaves its users' sessions
 * at the next refresh (§6: "MUST NOT include any scope not originally granted").
 * An RFC 8707 `resource` asks for a token for one resource of the grant (§2.2: only narrowing):
 * one it was made for, or, for a grant that named none, one of the app's resources; without
 * one, the grant's single resource, or else the default audience (docs/resources.md#refresh).
 * With a DPoP proof the new access token is bound to its key; a family recorded as bound
 * to a key (RFC 9449 §5: public clients' refresh tokens) is refreshed only with a proof of
 * that key — refused, not spent, otherwise (RefreshTokenService.rotate).
 */
@Injectable()
export class RefreshTokenGrant implements GrantHandler {
  readonly grantType = 'refresh_token';
  readonly parameters = [{ name: 'refresh_token' }, { name: 'scope' }, { name: 'resource' }] as const;
  readonly clientAuthentication = 'optional';

  constructor(
    private readonly sessions: SessionRotation,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  handle(req: GrantRequest): Promise<TokenResponse> {
    const presented = req.params.get('refresh_token');
    if (!presented) throw new InvalidRequest('refresh_token is required.');
    const clientId = req.client.id;
    return this.sessions.rotate(
      req.meta,
      presented,
      // RFC 9449 §5: a family bound to a DPoP key is refreshed only with a proof of that key.
      { tier: 'user', clientId, dpopJkt: req.dpop?.jkt ?? null },
      (family, tx) => this.renew(family, tx, req.client, req.params.get('scope'), req.params.get('resource'), req.dpop),
      () => new InvalidGrant('The refresh token is invalid, expired or revoked.'),
    );
  }

  private async renew(
    family: RefreshFamilyInfo,
    tx: SqlTransaction,
    client: AuthenticatedClient,
    scope: string | undefined,
    resource: string | undefined,
    dpop: { jkt: string } | undefined,
  ): Promise<Renewal> {
    const clientId = client.id;
    const orgId = family.orgId ?? undefined;
    // The user, its org and the app in one statement (a row even when neither exists).
    const [row] = await tx.query<RenewRow>(
      `SELECT u.id AS user_id, u.org_id AS user_org_id, u.disabled AS user_disabled, o.name AS org_name,
              a.org_id AS app_org_id, a.disabled AS app_disabled, a.token_ttl_s, a.scopes, a.delegates
         FROM (SELECT 1) one
         LEFT JOIN users u ON u.id = $1
         LEFT JOIN organizations o ON o.id = u.org_id
         LEFT JOIN applications a ON a.id = $2`,
      [family.subjectId, clientId],
      'gatehouse_refresh_renewal',
    );
    const user = row.user_id
      ? {
          id: row.user_id,
          orgId: row.user_org_id!,
          disabled: row.user_disabled!,
          org: { id: row.user_org_id!, name: row.org_name! },
        }
      : null;
    // A self-registered client has no application row: the endpoint resolved it for the family's org
    // (docs/client-registration.md#at-the-token-endpoint).
    const app = !isId('app', clientId)
      ? { orgId: client.orgId, disabled: false, tokenTtlS: client.tokenTtlS, scopes: client.scopes, delegates: [] }
      : row.app_org_id
        ? {
            orgId: row.app_org_id,
            disabled: row.app_disabled!,
            tokenTtlS: row.token_ttl_s!,
            scopes: row.scopes!,
            delegates: row.delegates!,
          }
        : null;
    const live = userLiveness(user, app, orgId);
    if (!live.live || !user || !app) return { invalid: live.live ? 'user unknown' : live.reason };
    // Thrown here, the refusal rolls the rotation back: the refresh token is not spent.
    const target = resolveResource({
      requested: resource === undefined ? [] : [resource],
      registered: client.resources,
      clientAudiences: client.audiences,
      ceiling: family.resources.length
        ? { kind: 'bound', identifiers: family.resources, clientMustHold: true }
        : { kind: 'unbound' },
      defaultAudience: this.config.audience,
    });
    if (!target.ok) throw new InvalidTarget(target.description, { detail: target.rule });
    // The OpenID Connect scopes are about the person, not the app: a browser sign-in's session keeps them.
    const held = family.scope
      .split(' ')
      .filter((s) => app.scopes.includes(s) || (OIDC_SCOPES as readonly string[]).includes(s));
    const scopes = selectResourceScopes(scope, held, target.resource);
    const ttlS = capLifetime(app.tokenTtlS, target.resource);
    return {
      issue: {
        kind: 'refresh_token',
        subject: { tier: 'user', id: user.id, org: user.org, clientId },
        scopes,
        ttlS,
        audience: target.resource ? target.audience : undefined,
        mayAct: app.delegates,
        // The sign-in the family descends from, not the refresh (docs/sign-in-experience.md#amr).
        authTime: epochSeconds(family.authTime ?? family.createdAt),
        amr: family.amr?.length ? family.amr : undefined,
        dpop,
        audit: {
          action: 'token.refreshed',
          target: { type: 'refresh_family', id: family.familyId },
          details: (claims) => ({
            tier: 'user',
            client_id: clientId,
            scope: claims.scope,
            aud: claims.aud,
            expires_in: ttlS,
          }),
        },
      },
    };
  }
}

interface RenewRow {
  user_id: string | null;
  user_org_id: string | null;
  user_disabled: boolean | null;
  org_name: string | null;
  app_org_id: string | null;
  app_disabled: boolean | null;
  token_ttl_s: number | null;
  scopes: string[] | null;
  delegates: string[] | null;
}
