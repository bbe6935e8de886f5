import { Injectable } from '@nestjs/common';
import { AuditService, type AuditAction, type RequestMeta } from '@gatehouse/audit';
import { AccessStoppedError, type IssuanceKind, type Tier } from '@gatehouse/core';
import { CacheListener, type SqlTransaction, type Tx } from '@gatehouse/db';
import { actorChain, type AccessTokenClaims, type ActClaim } from '@gatehouse/verifier';
import { AccessTokenService, type AssertionInput, type MintedToken } from './access-token.service';
import { GatedAccess } from './gated-access';

export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** The body of a successful token response (RFC 6749 §5.1; RFC 8693 §2.2.1 adds `issued_token_type`). */
export interface TokenResponse {
  access_token: string;
  /**
   * RFC 9449 §5: `DPoP` for a token bound to a DPoP key; RFC 8693 §2.2.1 `N_A` for what is not
   * an access token (an ID-JAG, docs/id-jag.md).
   */
  token_type: 'Bearer' | 'DPoP' | 'N_A';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  issued_token_type?: string;
  /** OIDC Core §3.1.3.3: with the `openid` scope (the authorization code grant). */
  id_token?: string;
}

/** What an ID token says besides what the access token fixes (OIDC Core §2; docs/sign-in.md#the-id-token). */
export interface IdTokenRequest {
  authTime: number;
  nonce: string | null;
  acr: string;
  amr: string[];
  sid: string;
  /** Claims by scope (`email`, `name`, …), already selected. */
  claims: Record<string, unknown>;
}

/** The principal a token is for. */
export interface TokenSubject {
  tier: Tier;
  id: string;
  /** App and user tokens; never on admin tokens. */
  org?: { id: string; name: string };
  /** The app the token is issued to (app and user tokens). */
  clientId?: string;
}

/** RFC 8693 delegation: what makes a token a step token (docs/design.md §3). */
export interface Delegation {
  act: ActClaim;
  /** Absent for a managed-token exchange, which serves no workflow step (docs/managed-tokens.md). */
  step?: string;
  /** The token exchanged from: a `jti`, or the `mgt_…` id of a managed token. */
  parentJti: string;
  /** Epoch seconds the token may not outlive (the subject token's `exp`). */
  notAfter: number;
}

export interface IssueRequest {
  kind: IssuanceKind;
  subject: TokenSubject;
  scopes: readonly string[];
  ttlS: number;
  audience?: string;
  delegation?: Delegation;
  /** RFC 8693 §4.4 `may_act`: who may exchange this token. */
  mayAct?: readonly string[];
  /** RFC 9068 §2.2.1 `auth_time` (epoch seconds): user sign-in and refresh. */
  authTime?: number;
  /** RFC 8176 `amr` of a sign-in (docs/sign-in-experience.md#amr). */
  amr?: readonly string[];
  /** The refresh token that goes with this access token, already stored by the caller. */
  refreshToken?: string;
  /** Sets `issued_token_type` in the response (token exchange). */
  issuedTokenType?: string;
  /**
   * RFC 9449: the DPoP key the request proved (its thumbprint). The token is bound to it
   * (`cnf.jkt`) and answered as `token_type: DPoP`.
   */
  dpop?: { jkt: string };
  /**
   * Checks again, after a sync, what the request decided before the issuer from the caches
   * (the client's authentication); throws the refusal. Called only when the token's audit
   * INSERT shows a change that the caches had not applied when the request read them
   * (docs/control.md#live).
   */
  recheck?: () => Promise<void>;
  /** Mint an ID token for the client too (audience `subject.clientId`). */
  idToken?: IdTokenRequest;
  audit: {
    action: Extract<AuditAction, 'token.issued' | 'token.refreshed' | 'token.exchanged'>;
    actor?: { id: string; tier: Tier };
    target?: { type: string; id: string };
    /** The row's details; a function when they name what the mint decided (`aud`, `exp`). */
    details: Record<string, unknown> | ((claims: AccessTokenClaims) => Record<string, unknown>);
  };
}

/** An identity assertion to issue (docs/id-jag.md#gatehouse-as-the-identity-provider). */
export interface AssertionRequest {
  kind: IssuanceKind;
  /** The user it vouches for, and the app that asks. */
  subject: TokenSubject & { tier: 'user' };
  /** What the assertion grants, for the access gate (foreign scopes, never Gatehouse's). */
  scopes: readonly string[];
  assertion: Omit<AssertionInput, 'sub'>;
  audit: {
    action: Extract<AuditAction, 'id_jag.issued'>;
    actor: { id: string; tier: Tier };
    details: (claims: Record<string, unknown>) => Record<string, unknown>;
  };
}

export interface IssuedAssertion {
  token: string;
  jti: string;
  expiresIn: number;
  claims: Record<string, unknown>;
}

export interface IssuedToken {
  response: TokenResponse;
  minted: MintedToken;
}

/**
 * The one place every access token is born (docs/architecture.md#the-token-issuer): client
 * credentials, refresh, user and admin sign-in, token exchange. In order:
 * 1. the access gate decides (docs/architecture.md#the-access-gate); a stop is thrown as
 *    `AccessStoppedError`, which each surface renders in its own format, and is audited;
 * 2. the token is minted (the only caller of `AccessTokenService.mint`, held so by
 *    token-issuer.spec.ts);
 * 3. its audit row is written — in the caller's transaction when there is one, so the
 *    token and the change it belongs to commit together, else through the group commit —
 *    and the response waits for it (docs/design.md §8).
 */
@Injectable()
export class TokenIssuer {
  constructor(
    private readonly tokens: AccessTokenService,
    private readonly access: GatedAccess,
    private readonly audit: AuditService,
    private readonly caches: CacheListener,
  ) {}

  async issue(meta: RequestMeta, req: IssueRequest, tx?: Tx | SqlTransaction): Promise<IssuedToken> {
    const { subject } = req;
    const accessRequest = {
      point: 'issuance' as const,
      subject: { tier: subject.tier, id: subject.id, orgId: subject.org?.id, clientId: subject.clientId },
      scopes: req.scopes,
      grantType: req.kind,
      step: req.delegation?.step,
      actors: req.delegation ? actorChain(req.delegation.act) : undefined,
    };
    const decision = await this.access.decide(meta, accessRequest);
    if (decision.outcome !== 'allow') throw new AccessStoppedError(decision);

    const prepared = this.tokens.prepare({
      tier: subject.tier,
      sub: subject.id,
      scopes: [...req.scopes],
      ttlS: req.ttlS,
      audience: req.audience,
      clientId: subject.clientId,
      org: subject.org,
      delegation: req.delegation,
      mayAct: req.mayAct,
      authTime: req.authTime,
      amr: req.amr,
      dpopJkt: req.dpop?.jkt,
    });
    const details = typeof req.audit.details === 'function' ? req.audit.details(prepared.claims) : req.audit.details;
    const entry = {
      action: req.audit.action,
      outcome: 'success' as const,
      actor: req.audit.actor ?? { id: subject.id, tier: subject.tier },
      orgId: subject.org?.id ?? null,
      target: req.audit.target ?? null,
      jti: prepared.jti,
      details: {
        ...details,
        ...(req.dpop ? { dpop_jkt: req.dpop.jkt } : {}),
        ...(req.idToken ? { openid: true, sid: req.idToken.sid } : {}),
      },
    };
    // The row needs only the claims: it is written while the thread pool signs
    // (docs/performance.md#overlapped-waits). The token leaves only once both are done; a row
    // whose signature then failed names a token nobody received, never the reverse. In a
    // transaction the row commits with the caller's change, after this returns.
    const [minted, epoch] = await Promise.all([
      prepared.sign(),
      tx ? this.audit.record(tx, meta, entry).then(() => null) : this.audit.recordGrouped(meta, entry),
    ]);
    // docs/control.md#live: a request that read the caches without a sync (client credentials)
    // is confirmed here, by the invalidation epoch its audit INSERT held to commit. In the rare
    // case a change had not reached the caches when the request read them, it is decided again
    // on fresh state, and a stop withholds the token — recorded, since its row is committed.
    if (!tx && !this.caches.confirm(epoch)) await this.decideAgain(meta, req, accessRequest, entry);
    const idToken = req.idToken ? await this.mintIdToken(req, minted) : undefined;
    return {
      minted,
      response: {
        access_token: minted.token,
        token_type: req.dpop ? 'DPoP' : 'Bearer',
        expires_in: minted.expiresIn,
        scope: minted.claims.scope,
        ...(req.refreshToken ? { refresh_token: req.refreshToken } : {}),
        ...(req.issuedTokenType ? { issued_token_type: req.issuedTokenType } : {}),
        ...(idToken ? { id_token: idToken } : {}),
      },
    };
  }

  /**
   * After a sync: the client again (the grant's `recheck`) and the access gate again. On a
   * refusal the token, already signed and its `token.issued` row committed, is not sent:
   * `token.withheld` names it and why (docs/audit-events.md), and the refusal is thrown.
   */
  private async decideAgain(
    meta: RequestMeta,
    req: IssueRequest,
    accessRequest: Parameters<GatedAccess['decide']>[1],
    issued: IssuedEntry,
  ): Promise<void> {
    await this.caches.resync();
    const withhold = (reason: string, details: Record<string, unknown>) =>
      this.audit.recordGrouped(meta, {
        action: 'token.withheld',
        outcome: 'failure',
        actor: issued.actor,
        orgId: issued.orgId,
        target: issued.target,
        jti: issued.jti,
        reason,
        details: { grant_type: req.kind, ...details },
      });
    try {
      await req.recheck?.();
    } catch (err) {
      await withhold('the client was refused on a change that raced the request', {
        error: (err as { error?: string })?.error ?? 'server_error',
      });
      throw err;
    }
    const decision = await this.access.decide(meta, accessRequest);
    if (decision.outcome === 'allow') {
      // Still allowed, but the token's claims (the org's name, the client's scopes and
      // audiences) were read before the change: it is not sent, and the grant runs once more
      // on the synced caches, so the very next token after a change carries it.
      await withhold('a change raced the request: the token is issued again on fresh state', {});
      throw new RacedTokenReissue();
    }
    await withhold('the access gate stopped the principal on a change that raced the request', {
      stop_reason: decision.reason,
      decision_id: decision.decisionId,
    });
    throw new AccessStoppedError(decision);
  }

  /**
   * An identity assertion (an ID-JAG) under the same discipline as an access token: the gate
   * decides for its user, the audit row is written while the signature is computed, and the
   * assertion leaves only once both are done. The row names the assertion by `jti`, never
   * holds it.
   */
  async issueAssertion(meta: RequestMeta, req: AssertionRequest): Promise<IssuedAssertion> {
    const { subject } = req;
    const decision = await this.access.decide(meta, {
      point: 'issuance',
      subject: { tier: subject.tier, id: subject.id, orgId: subject.org?.id, clientId: subject.clientId },
      scopes: req.scopes,
      grantType: req.kind,
    });
    if (decision.outcome !== 'allow') throw new AccessStoppedError(decision);
    const prepared = this.tokens.prepareAssertion({ ...req.assertion, sub: subject.id });
    const entry = {
      action: req.audit.action,
      outcome: 'success' as const,
      actor: req.audit.actor,
      orgId: subject.org?.id ?? null,
      target: { type: 'user', id: subject.id },
      jti: prepared.jti,
      details: req.audit.details(prepared.claims),
    };
    const [signed] = await Promise.all([prepared.sign(), this.audit.recordGrouped(meta, entry)]);
    return { token: signed.token, jti: prepared.jti, expiresIn: signed.expiresIn, claims: prepared.claims };
  }

  /** The ID token that goes with `minted`, to the client it was issued to; covered by the same audit row. */
  private async mintIdToken(req: IssueRequest, minted: MintedToken): Promise<string> {
    const id = req.idToken!;
    const clientId = req.subject.clientId;
    if (!clientId) throw new Error('an ID token needs the client it is issued to');
    const { token } = await this.tokens.signIdToken({
      ...id.claims,
      sub: req.subject.id,
      aud: clientId,
      azp: clientId,
      auth_time: id.authTime,
      ...(id.nonce !== null ? { nonce: id.nonce } : {}),
      acr: id.acr,
      amr: id.amr,
      sid: id.sid,
      accessToken: minted.token,
      ttlS: minted.expiresIn,
    });
    return token;
  }
}

/** The audit row of a token that was minted and recorded but never sent. */
type IssuedEntry = {
  actor: { id: string; tier: Tier };
  orgId: string | null;
  target: { type: string; id: string } | null;
  jti: string;
};

/**
 * A token withheld because a change raced its request while the principal stays allowed: the
 * token endpoint runs the grant again, on caches that have synced (docs/control.md#live).
 */
export class RacedTokenReissue extends Error {
  constructor() {
    super('a change raced the request; issue the token again');
    this.name = 'RacedTokenReissue';
  }
}
