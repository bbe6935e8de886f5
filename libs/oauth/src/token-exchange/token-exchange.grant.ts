import { Inject, Injectable } from '@nestjs/common';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import {
  CLOCK,
  GATEHOUSE_CONFIG,
  ID_JAG_TOKEN_TYPE,
  InvalidRequest,
  InvalidScope,
  InvalidTarget,
  OAuthError,
  TOKEN_EXCHANGE_GRANT,
  epochSeconds,
  type Clock,
  type GatehouseConfig,
} from '@gatehouse/core';
import { SqlPool } from '@gatehouse/db';
import {
  MANAGED_TOKEN_TYPE,
  DelegationLineage,
  TokenIssuer,
  TokenRevocationService,
  type AccessTokenClaims,
} from '@gatehouse/tokens';
import { actorChain } from '@gatehouse/verifier';
import type { AuthenticatedClient } from '../client-authenticator';
import type { GrantHandler, GrantRequest, TokenResponse } from '../grant';
import { ResourceLookup } from '../resources/resource-lookup';
import type { RegisteredResource } from '../resources/resolve-resource';
import { attenuate, type DelegationRefusal } from './delegation';
import { ManagedExchange } from './managed-exchange';
import { IdJagExchange } from '../id-jag/id-jag-exchange';
import { ACCESS_TOKEN_TYPE, ExchangeTokens, type VerifiedToken } from './subject-token';

/** RFC 8693 extension (docs/design.md §3): the workflow step a step token serves. */
const STEP = /^[A-Za-z0-9._:-]{1,128}$/;

const REFUSALS = { invalid_request: InvalidRequest, invalid_scope: InvalidScope, invalid_target: InvalidTarget };

/**
 * RFC 8693 token exchange for per-step credentials (docs/architecture.md#token-exchange): the
 * calling app authenticates as a client and trades a subject token for a narrow, short-lived
 * step token for one workflow step. What may be issued is decided by the pure rules of
 * delegation.ts from the subject token's own claims; this file reads the parameters,
 * verifies the tokens, issues through the one issuer, keeps the lineage for cascading
 * revocation, and audits every outcome.
 */
@Injectable()
export class TokenExchangeGrant implements GrantHandler {
  readonly grantType = TOKEN_EXCHANGE_GRANT;
  // RFC 8693 §2.1; `resource` (RFC 8707) and `audience` may repeat.
  readonly parameters = [
    { name: 'subject_token' },
    { name: 'subject_token_type' },
    { name: 'actor_token' },
    { name: 'actor_token_type' },
    { name: 'requested_token_type' },
    { name: 'scope' },
    { name: 'resource', repeatable: true },
    { name: 'audience', repeatable: true },
    { name: 'step' },
  ] as const;
  readonly clientAuthentication = 'required';

  constructor(
    private readonly tokens: ExchangeTokens,
    private readonly managed: ManagedExchange,
    private readonly idJag: IdJagExchange,
    private readonly issuer: TokenIssuer,
    private readonly lineage: DelegationLineage,
    private readonly revocations: TokenRevocationService,
    private readonly sql: SqlPool,
    private readonly audit: AuditService,
    private readonly resources: ResourceLookup,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async handle(req: GrantRequest): Promise<TokenResponse> {
    // docs/managed-tokens.md#exchange: a host trading a user's managed token.
    if (req.params.get('subject_token_type') === MANAGED_TOKEN_TYPE) return this.managed.handle(req);
    // docs/id-jag.md#gatehouse-as-the-identity-provider: a grant for another authorization server.
    if (req.params.get('requested_token_type') === ID_JAG_TOKEN_TYPE) return this.idJag.handle(req);
    let subject: VerifiedToken | undefined;
    try {
      const { params, client } = req;
      const step = this.readParameters(req);
      subject = await this.tokens.verify(params.get('subject_token')!, 'subject_token');
      const actorToken = params.get('actor_token');
      const actor = actorToken ? await this.actorOf(actorToken, client.id, client.orgId) : client.id;
      const s = subject.claims;
      const registered = await this.registeredFor(client, s.aud);
      const decision = attenuate(
        {
          sub: s.sub,
          tier: s.tier,
          orgId: s.org_id,
          clientId: s.client_id,
          scopes: s.scope.split(' ').filter(Boolean),
          exp: s.exp,
          aud: s.aud,
          act: s.act,
          mayAct: mayActOf(s),
        },
        {
          caller: client,
          actor,
          scope: params.get('scope'),
          // RFC 8693 §2.1: `audience` names the target by a logical name; here that is the
          // identifier of a registered resource, like `resource` (docs/resources.md#rfc-8707).
          audiences: [...params.all('resource'), ...params.all('audience')],
          registered,
          defaultAudience: this.config.audience,
          maxDepth: this.config.maxDelegationDepth,
          now: epochSeconds(this.clock.now()),
        },
      );
      if (!decision.ok) throw refusal(decision);
      const g = decision.grant;
      const parent = subject;
      // node-postgres: the token, its lineage row and its audit row commit together
      // (docs/performance.md#the-refresh-grant: Prisma's cost per statement).
      const issued = await this.sql.transaction(async (tx) => {
        const out = await this.issuer.issue(
          req.meta,
          {
            kind: TOKEN_EXCHANGE_GRANT,
            subject: { tier: s.tier, id: s.sub, org: { id: s.org_id!, name: s.org! }, clientId: client.id },
            scopes: g.scopes,
            ttlS: g.exp - epochSeconds(this.clock.now()),
            audience: g.audience,
            delegation: { act: g.act, step, parentJti: s.jti, notAfter: g.exp },
            mayAct: client.delegates,
            // docs/design.md §3: a step token is bound to the exchanging app's DPoP key when it
            // proves one; the subject token's own binding is not carried over.
            dpop: req.dpop,
            issuedTokenType: ACCESS_TOKEN_TYPE,
            audit: {
              action: 'token.exchanged',
              actor: { id: client.id, tier: 'app' },
              target: { type: s.tier === 'user' ? 'user' : 'application', id: s.sub },
              details: (claims) => ({
                outcome: 'issued',
                subject_jti: s.jti,
                chain: actorChain(claims.act),
                depth: g.depth,
                scope: claims.scope,
                step,
                aud: claims.aud,
                expires_in: claims.exp - claims.iat,
              }),
            },
          },
          tx,
        );
        await this.lineage.recordIssued(tx, out.minted, client, {
          jti: s.jti,
          kid: parent.kid,
          clientId: s.client_id ?? null,
          issuedAt: new Date(s.iat * 1000),
        });
        return out;
      });
      // The lineage row is committed: a revocation of the subject from now on reaches the
      // new token. One that committed before it cannot have seen the row, so look again.
      if (await this.revocations.isRevokedInPostgres(s)) {
        await this.revocations.revoke(issued.minted.jti, new Date(issued.minted.claims.exp * 1000), client.id);
        throw new InvalidRequest('The subject_token is invalid, expired or revoked.', {
          detail: 'revoked while exchanged',
        });
      }
      return issued.response;
    } catch (err) {
      if (err instanceof OAuthError) await this.refused(req.meta, req, subject?.claims, err);
      throw err;
    }
  }

  /** RFC 8693 §2.1 parameter rules; the step identifier is required for a step token. */
  private readParameters({ params }: GrantRequest): string {
    if (!params.get('subject_token')) throw new InvalidRequest('subject_token is required.');
    if (params.get('subject_token_type') !== ACCESS_TOKEN_TYPE) {
      throw new InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE} or ${MANAGED_TOKEN_TYPE}.`);
    }
    const actorToken = params.get('actor_token');
    const actorType = params.get('actor_token_type');
    if ((actorToken === undefined) !== (actorType === undefined)) {
      throw new InvalidRequest('actor_token and actor_token_type go together.');
    }
    if (actorType !== undefined && actorType !== ACCESS_TOKEN_TYPE) {
      throw new InvalidRequest(`actor_token_type must be ${ACCESS_TOKEN_TYPE}.`);
    }
    const requested = params.get('requested_token_type');
    if (requested !== undefined && requested !== ACCESS_TOKEN_TYPE) {
      throw new InvalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE} or ${ID_JAG_TOKEN_TYPE}.`);
    }
    const step = params.get('step');
    if (step === undefined || !STEP.test(step)) {
      throw new InvalidRequest('step is required: 1 to 128 characters of A-Z a-z 0-9 . _ : -');
    }
    return step;
  }

  /**
   * The registered resources this exchange may name: the caller's own, and the one the subject
   * token is for, which a step token inherits when none is asked for (docs/design.md §3).
   */
  private async registeredFor(client: AuthenticatedClient, aud: string | string[]): Promise<RegisteredResource[]> {
    const subjectAud = typeof aud === 'string' ? [aud] : aud;
    const missing = subjectAud.filter(
      (a) => a !== this.config.audience && !client.resources.some((r) => r.identifier === a),
    );
    if (missing.length !== 1) return client.resources;
    const inherited = await this.resources.inOrg(client.orgId, missing[0]);
    return inherited ? [...client.resources, inherited] : client.resources;
  }

  /** The actor token must be the caller's own (issued to it, in its org): its subject acts. */
  private async actorOf(token: string, callerId: string, orgId: string): Promise<string> {
    const actor = await this.tokens.verify(token, 'actor_token');
    if (actor.claims.client_id !== callerId || actor.claims.org_id !== orgId) {
      throw new InvalidRequest('The actor_token was not issued to this client.');
    }
    return actor.claims.sub;
  }

  private refused(meta: RequestMeta, req: GrantRequest, subject: AccessTokenClaims | undefined, err: OAuthError) {
    return this.audit.recordAlone(meta, {
      action: 'token.exchanged',
      outcome: 'failure',
      actor: { id: req.client.id, tier: 'app' },
      orgId: req.client.orgId,
      jti: subject?.jti ?? null,
      reason: err.description ?? err.error,
      details: {
        outcome: 'refused',
        error: err.error,
        ...(err.detail ? { rule: err.detail } : {}),
        ...(subject ? { subject_jti: subject.jti, chain: actorChain(subject.act) } : {}),
        ...(req.params.get('step') ? { step: req.params.get('step') } : {}),
      },
    });
  }
}

function refusal(r: DelegationRefusal): OAuthError {
  return new REFUSALS[r.error](r.description, { detail: r.rule });
}

function mayActOf(claims: AccessTokenClaims): string[] {
  const sub = claims.may_act?.sub;
  return sub === undefined ? [] : Array.isArray(sub) ? sub : [sub];
}
