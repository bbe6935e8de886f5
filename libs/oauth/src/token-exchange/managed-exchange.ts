import { Inject, Injectable } from '@nestjs/common';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import {
  AccessStoppedError,
  CLOCK,
  GATEHOUSE_CONFIG,
  InvalidRequest,
  InvalidScope,
  InvalidTarget,
  OAuthError,
  TOKEN_EXCHANGE_GRANT,
  epochSeconds,
  newId,
  type Clock,
  type GatehouseConfig,
} from '@gatehouse/core';
import { PrismaService, SqlPool } from '@gatehouse/db';
import {
  AnomalyDetector,
  DelegationLineage,
  ManagedTokens,
  TokenIssuer,
  TokenRevocationService,
  type ManagedTokenRecord,
} from '@gatehouse/tokens';
import type { GrantRequest, TokenResponse } from '../grant';
import { capLifetime } from '../resources/resolve-resource';
import { decideManaged, MANAGED_SUBJECT_INVALID as INVALID_SUBJECT } from './managed-rules';
import { ACCESS_TOKEN_TYPE } from './subject-token';

/** How long an access token exchanged from a managed token lives (docs/managed-tokens.md). */
export const MANAGED_EXCHANGE_TTL_S = 300;

const REFUSALS = { invalid_request: InvalidRequest, invalid_scope: InvalidScope, invalid_target: InvalidTarget };

/**
 * The lineage's `parent_kid` of a token exchanged from a managed token: the parent is no JWT
 * and no signing key's revocation reaches it (a key's cascade matches real kids only).
 */
const MANAGED_PARENT_KID = 'managed';

/** The reason a suspended managed token is refused with (docs/managed-tokens.md#anomaly-review). */
export const ANOMALY_REVIEW_PENDING = {
  reason: 'anomaly_review_pending',
  message: 'This managed token is suspended while an anomaly is reviewed.',
  recovery: 'An operator clears the anomaly (POST /v1/anomalies/{id}/clear) or the token is revoked and regenerated.',
};

/**
 * The managed-token subject type of the RFC 8693 grant (docs/managed-tokens.md#exchange):
 * a host app, authenticated as a client, trades the user's `ghm_…` token for a short
 * `tier: user` access token with `act: {sub: host}` and `parent_jti` = the managed token's
 * id (so ending the managed token kills what it produced). It issues through the one
 * issuer, so the access gate's live decision runs on every use; every outcome is audited
 * with the managed token's id, never its secret.
 */
@Injectable()
export class ManagedExchange {
  constructor(
    private readonly managed: ManagedTokens,
    private readonly issuer: TokenIssuer,
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly anomalies: AnomalyDetector,
    private readonly sql: SqlPool,
    private readonly lineage: DelegationLineage,
    private readonly revocations: TokenRevocationService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  async handle(req: GrantRequest): Promise<TokenResponse> {
    const { params, client } = req;
    let token: ManagedTokenRecord | null = null;
    try {
      if (params.get('actor_token') !== undefined || params.get('actor_token_type') !== undefined) {
        throw new InvalidRequest('A managed token is exchanged by its host alone: no actor_token.');
      }
      // A managed exchange serves no workflow step (docs/managed-tokens.md#exchange): a `step`
      // would otherwise be dropped silently, and with it the step's governance (a paused
      // workflow) — refuse it instead.
      if (params.get('step') !== undefined) {
        throw new InvalidRequest('A managed token is exchanged for no workflow step: no step.');
      }
      const requested = params.get('requested_token_type');
      if (requested !== undefined && requested !== ACCESS_TOKEN_TYPE) {
        throw new InvalidRequest(`Only ${ACCESS_TOKEN_TYPE} is issued.`);
      }
      const presented = params.get('subject_token');
      if (!presented) throw new InvalidRequest('subject_token is required.');
      token = await this.managed.find(presented);
      if (!token) throw new InvalidRequest(INVALID_SUBJECT, { detail: 'unknown managed token' });
      const decision = decideManaged(
        token,
        client,
        { scope: params.get('scope'), audiences: [...params.all('resource'), ...params.all('audience')] },
        this.config.audience,
      );
      if (!decision.ok) throw new REFUSALS[decision.error](decision.description, { detail: decision.rule });
      const user = await this.prisma.user.findUnique({
        where: { id: token.userId },
        select: { id: true, orgId: true, disabled: true, org: { select: { id: true, name: true } } },
      });
      if (!user || user.disabled || user.orgId !== token.orgId) {
        throw new InvalidRequest(INVALID_SUBJECT, { detail: 'user gone or disabled' });
      }
      if (token.suspendedAt) await this.stopSuspended(req.meta, token);
      const now = epochSeconds(this.clock.now());
      const ttlS = capLifetime(MANAGED_EXCHANGE_TTL_S, decision.resource);
      const t = token;
      // The token, its lineage row (parent: the managed token's id) and its audit row commit
      // together, so ending the managed token reaches it and everything exchanged from it
      // (docs/managed-tokens.md#ending-a-managed-token).
      const issued = await this.sql.transaction(async (tx) => {
        const out = await this.issuer.issue(
          req.meta,
          {
            kind: TOKEN_EXCHANGE_GRANT,
            subject: { tier: 'user', id: user.id, org: user.org, clientId: client.id },
            scopes: decision.scopes,
            ttlS,
            audience: decision.audience,
            delegation: { act: { sub: client.id }, parentJti: t.id, notAfter: now + ttlS },
            dpop: req.dpop,
            issuedTokenType: ACCESS_TOKEN_TYPE,
            audit: {
              action: 'token.exchanged',
              actor: { id: client.id, tier: 'app' },
              target: { type: 'managed_token', id: t.id },
              details: (claims) => ({
                outcome: 'issued',
                subject_type: 'managed',
                managed_token_id: t.id,
                user_id: user.id,
                host: client.id,
                scope: claims.scope,
                aud: claims.aud,
                expires_in: claims.exp - claims.iat,
              }),
            },
          },
          tx,
        );
        await this.lineage.recordIssued(tx, out.minted, client, {
          jti: t.id,
          kid: MANAGED_PARENT_KID,
          clientId: null,
          issuedAt: t.createdAt,
        });
        return out;
      });
      // An end or suspension that committed before the lineage row did could not see it:
      // look again, and revoke what was just issued if the managed token is no longer usable.
      if (!(await this.managed.isUsable(t.id))) {
        await this.revocations.revoke(issued.minted.jti, new Date(issued.minted.claims.exp * 1000), client.id);
        throw new InvalidRequest(INVALID_SUBJECT, { detail: 'ended while exchanged' });
      }
      const { response } = issued;
      await this.managed.touch(t.id);
      await this.anomalies.managedExchanged(req.meta, t);
      return response;
    } catch (err) {
      if (err instanceof OAuthError) {
        // Another org's caller learns nothing, and neither do its admins reading its audit
        // log: its refusal row is the one an unknown secret writes.
        const seen = token && token.orgId === client.orgId ? token : null;
        await this.refused(
          req,
          seen,
          seen || !token ? err : new InvalidRequest(INVALID_SUBJECT, { detail: 'unknown managed token' }),
        );
        await this.anomalies.refused(req.meta, client.id, client.orgId);
      }
      throw err;
    }
  }

  private async stopSuspended(meta: RequestMeta, token: ManagedTokenRecord): Promise<never> {
    const decisionId = newId('decision');
    await this.audit.recordAlone(meta, {
      action: 'access.denied',
      outcome: 'failure',
      actor: { id: token.userId, tier: 'user' },
      orgId: token.orgId,
      target: { type: 'managed_token', id: token.id },
      reason: ANOMALY_REVIEW_PENDING.reason,
      details: { point: 'issuance', decision_id: decisionId, anomaly_id: token.suspendedAnomalyId },
    });
    throw new AccessStoppedError({ outcome: 'deny', status: 403, decisionId, ...ANOMALY_REVIEW_PENDING });
  }

  private refused(req: GrantRequest, token: ManagedTokenRecord | null, err: OAuthError) {
    return this.audit.recordAlone(req.meta, {
      action: 'token.exchanged',
      outcome: 'failure',
      actor: { id: req.client.id, tier: 'app' },
      orgId: req.client.orgId,
      target: token ? { type: 'managed_token', id: token.id } : null,
      reason: err.description ?? err.error,
      details: {
        outcome: 'refused',
        subject_type: 'managed',
        error: err.error,
        ...(err.detail ? { rule: err.detail } : {}),
        ...(token ? { managed_token_id: token.id } : {}),
      },
    });
  }
}
