import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '@gatehouse/audit';
import {
  CLOCK,
  GATEHOUSE_CONFIG,
  InvalidClient,
  InvalidGrant,
  InvalidRequest,
  InvalidTarget,
  epochSeconds,
  type Clock,
  type GatehouseConfig,
} from '@gatehouse/core';
import { SqlPool, type SqlTransaction } from '@gatehouse/db';
import { RefreshTokenService, TokenIssuer, TokenRevocationService, userLiveness } from '@gatehouse/tokens';
import { OIDC_SCOPES } from '../authorization/authorization-request';
import type { GrantHandler, GrantRequest, TokenResponse } from '../grant';
import { capLifetime, resolveResource } from '../resources/resolve-resource';
import { AuthorizationCodes, type StoredCode } from './authorization-code.repository';
import { acrFor, userClaims } from './user-claims';
import { pkceProblem } from './pkce';

type Outcome =
  | { kind: 'issued'; response: TokenResponse }
  | { kind: 'refused'; reason: string; code: StoredCode | null }
  | { kind: 'reused'; code: StoredCode };

/** The longest an access token lives (docs/design.md §3): how long a reused code's token stays listed as revoked. */
const MAX_ACCESS_TOKEN_TTL_S = 3600;

/**
 * RFC 6749 §4.1.3 the authorization code grant (docs/sign-in.md#the-code-grant), through the
 * one TokenIssuer. A confidential client authenticates as it registered; a public client
 * names itself with `client_id` (`none`) and proves PKCE. In one transaction, under the
 * code's row lock: the code must be live, this client's, redeemed with the same
 * `redirect_uri` and its PKCE verifier (RFC 7636 §4.6, no downgrade); any of these failing
 * spends the code. A second use is refused and revokes what the first issued (§4.1.2).
 * `resource` may only narrow to the code's resource (RFC 8707 §2.2). A refresh token comes
 * with `offline_access` or for a confidential client; a public client that proved a DPoP key
 * gets a refresh family bound to it (RFC 9449 §5). With `openid`, an ID token.
 */
@Injectable()
export class AuthorizationCodeGrant implements GrantHandler {
  readonly grantType = 'authorization_code';
  readonly parameters = [
    { name: 'code' },
    { name: 'redirect_uri' },
    { name: 'code_verifier' },
    { name: 'resource' },
  ] as const;
  readonly clientAuthentication = 'optional';

  constructor(
    private readonly sql: SqlPool,
    private readonly codes: AuthorizationCodes,
    private readonly issuer: TokenIssuer,
    private readonly refreshTokens: RefreshTokenService,
    private readonly revocations: TokenRevocationService,
    private readonly audit: AuditService,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async handle(req: GrantRequest): Promise<TokenResponse> {
    const { client, params, meta } = req;
    // A confidential client that only named itself has not authenticated.
    if (client.method === 'none' && !client.publicClient) {
      throw new InvalidClient('Client authentication failed.', { detail: 'no client credentials' });
    }
    const presented = params.get('code');
    if (!presented) throw new InvalidRequest('code is required.');
    // node-postgres, not a Prisma interactive transaction: Prisma's cost per statement was most
    // of a redemption's CPU, as it was the refresh grant's (docs/performance.md#the-refresh-grant).
    const outcome = await this.sql.transaction((tx) => this.redeem(tx, req, presented));
    if (outcome.kind === 'issued') return outcome.response;
    const code = outcome.kind === 'reused' ? outcome.code : outcome.code;
    if (outcome.kind === 'reused' && code?.issuedJti) {
      const expiresAt = new Date((code.consumedAt ?? this.clock.now()).getTime() + MAX_ACCESS_TOKEN_TTL_S * 1000);
      await this.revocations.revoke(code.issuedJti, expiresAt, code.clientId);
    }
    if (outcome.kind === 'refused') {
      await this.audit.recordAlone(meta, {
        action: 'authorization_code.redeemed',
        outcome: 'failure',
        actor: { id: client.id, tier: 'app' },
        orgId: client.orgId,
        target: code ? { type: 'user', id: code.userId } : null,
        reason: outcome.reason,
        details: { client_id: client.id },
      });
    }
    throw new InvalidGrant('The authorization code is invalid, expired, spent or was issued to another client.');
  }

  private async redeem(tx: SqlTransaction, req: GrantRequest, presented: string): Promise<Outcome> {
    const { client, params, meta } = req;
    const code = await this.codes.lockForRedemption(tx, presented);
    if (!code) return { kind: 'refused', reason: 'unknown code', code: null };
    if (code.consumedAt) {
      if (code.issuedFamilyId) {
        await tx.query(
          `UPDATE refresh_families SET revoked_at = $1, revoked_why = 'code_reuse' WHERE id = $2 AND revoked_at IS NULL`,
          [this.clock.now(), code.issuedFamilyId],
        );
      }
      await this.audit.record(tx, meta, {
        action: 'authorization_code.reused',
        outcome: 'failure',
        actor: { id: client.id, tier: 'app' },
        orgId: code.orgId,
        target: { type: 'user', id: code.userId },
        reason: 'authorization code used twice',
        details: {
          client_id: code.clientId,
          revoked_jti: code.issuedJti,
          revoked_family: code.issuedFamilyId,
        },
      });
      return { kind: 'reused', code };
    }
    const refuse = async (reason: string): Promise<Outcome> => {
      await this.codes.spend(tx, code.id);
      return { kind: 'refused', reason, code };
    };
    if (code.clientId !== client.id) return refuse('code issued to another client');
    if (code.expiresAt <= this.clock.now()) return refuse('code expired');
    if (params.get('redirect_uri') !== code.redirectUri)
      return refuse('redirect_uri differs from the authorization request');
    const pkce = pkceProblem(code.codeChallenge, params.get('code_verifier'));
    if (pkce) return refuse(pkce);

    // Read with the code's row lock, in the same statement: the user as it is now.
    const user = code.user;
    const live = userLiveness(user, { orgId: client.orgId, disabled: false }, code.orgId);
    if (!user || !live.live) return refuse(live.live ? 'user unknown' : live.reason);

    const resource = params.get('resource');
    const target = resolveResource({
      requested: resource === undefined ? [] : [resource],
      registered: client.resources,
      clientAudiences: client.audiences,
      ceiling: code.resource
        ? { kind: 'bound', identifiers: [code.resource], clientMustHold: true }
        : { kind: 'unbound' },
      defaultAudience: this.config.audience,
    });
    if (!target.ok) throw new InvalidTarget(target.description, { detail: target.rule });

    // What the app still holds, and the OpenID Connect scopes, which are about the person.
    const scopes = code.scopes.filter(
      (s) => (OIDC_SCOPES as readonly string[]).includes(s) || client.scopes.includes(s),
    );
    const offline = scopes.includes('offline_access') || !client.publicClient;
    const family =
      offline && client.grantTypes.includes('refresh_token')
        ? await this.refreshTokens.startIn(tx, {
            tier: 'user',
            subjectId: user.id,
            clientId: client.id,
            orgId: code.orgId,
            scope: scopes.join(' '),
            resources: code.resource ? [code.resource] : [],
            dpopJkt: client.publicClient && req.dpop ? req.dpop.jkt : null,
            amr: code.amr,
            authTime: code.authTime,
          })
        : null;
    const authTime = epochSeconds(code.authTime);
    const ttlS = capLifetime(client.tokenTtlS, target.resource);
    const { response, minted } = await this.issuer.issue(
      meta,
      {
        kind: 'authorization_code',
        subject: { tier: 'user', id: user.id, org: { id: user.org.id, name: user.org.name }, clientId: client.id },
        scopes,
        ttlS,
        audience: target.resource ? target.audience : undefined,
        mayAct: client.delegates,
        authTime,
        // As the API sign-in's tokens do, and the family's refreshed ones after it (docs/sign-in-experience.md#amr).
        amr: code.amr,
        refreshToken: family?.refreshToken,
        dpop: req.dpop,
        idToken: scopes.includes('openid')
          ? {
              authTime,
              nonce: code.nonce,
              acr: acrFor(code.amr),
              amr: code.amr,
              sid: code.sid,
              claims: userClaims(user, scopes),
            }
          : undefined,
        audit: {
          action: 'token.issued',
          target: { type: 'user', id: user.id },
          details: (claims) => ({
            tier: 'user',
            grant_type: this.grantType,
            client_id: client.id,
            scope: claims.scope,
            aud: claims.aud,
            auth_method: client.method,
            ...(family ? { refresh_family: family.familyId } : {}),
          }),
        },
      },
      tx,
    );
    await this.codes.markRedeemed(tx, code.id, { jti: minted.jti, familyId: family?.familyId ?? null });
    await this.audit.record(tx, meta, {
      action: 'authorization_code.redeemed',
      outcome: 'success',
      actor: { id: client.id, tier: 'app' },
      orgId: code.orgId,
      target: { type: 'user', id: user.id },
      jti: minted.jti,
      details: { client_id: client.id, sid: code.sid, ...(family ? { refresh_family: family.familyId } : {}) },
    });
    return { kind: 'issued', response };
  }
}
