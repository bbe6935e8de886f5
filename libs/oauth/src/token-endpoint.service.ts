import { Inject, Injectable } from '@nestjs/common';
import {
  GATEHOUSE_CONFIG,
  inSpan,
  InvalidClient,
  InvalidDpopProof,
  InvalidGrant,
  InvalidRequest,
  OAuthError,
  UnsupportedGrantType,
  UseDpopNonce,
  type GatehouseConfig,
} from '@gatehouse/core';
import { CacheListener, SqlPool } from '@gatehouse/db';
import { DpopProofs, DpopRefused, RacedTokenReissue, RefreshTokenService, type TokenResponse } from '@gatehouse/tokens';
import { AuthorizationCodes } from './authorization-code/authorization-code.repository';
import { ClientAuthenticator, type AuthenticatedClient } from './client-authenticator';
import { SelfRegisteredAuthenticator } from './clients/self-registered-authenticator';
import type { FormParams } from './form-params';
import { GRANT_HANDLERS, type GrantHandler, type TokenRequest } from './grant';
import { applyParameterRules, parameterRules, type ParameterRules } from './grant-parameters';

/**
 * POST /oauth/token (RFC 6749 §3.2), the pipeline every grant goes through: find the grant
 * by `grant_type`; enforce its declared parameters; authenticate the client once, as the
 * grant declares (required, or optional for public refresh), which counts it against its
 * token rate; check the client may use the grant; check its DPoP proof, if it sent one or
 * must (RFC 9449 §5); then hand the grant a request it can trust.
 */
/** A grant run again for the same request (after a raced allow or a resync): not counted twice. */
const AGAIN = { countTokenRate: false } as const;

@Injectable()
export class TokenEndpoint {
  private readonly byType: Map<string, { grant: GrantHandler; rules: ParameterRules }>;
  private readonly url: string;

  constructor(
    @Inject(GRANT_HANDLERS) handlers: GrantHandler[],
    private readonly clients: ClientAuthenticator,
    private readonly proofs: DpopProofs,
    private readonly caches: CacheListener,
    private readonly selfRegisteredClients: SelfRegisteredAuthenticator,
    private readonly codes: AuthorizationCodes,
    private readonly refreshTokens: RefreshTokenService,
    private readonly sql: SqlPool,
    @Inject(GATEHOUSE_CONFIG) config: GatehouseConfig,
  ) {
    this.byType = new Map(handlers.map((grant) => [grant.grantType, { grant, rules: parameterRules(grant) }]));
    this.url = `${config.issuer}/oauth/token`;
  }

  /** The registered grant types, for discovery. */
  get grantTypes(): string[] {
    return [...this.byType.keys()];
  }

  async handle(req: TokenRequest): Promise<TokenResponse> {
    if (req.params.all('grant_type').length > 1)
      throw new InvalidRequest('Parameter "grant_type" appears more than once.');
    const grantType = req.params.get('grant_type');
    if (!grantType) throw new InvalidRequest('grant_type is required.');
    const entry = this.byType.get(grantType);
    if (!entry) throw new UnsupportedGrantType('This grant type is not supported.');
    const params = applyParameterRules(req.params, entry.rules);
    // docs/control.md#live: a grant confirmed at issue reads the caches without a sync. A
    // refusal decided on such reads is decided again after one (the issuer handles a raced allow).
    if (!entry.grant.confirmedAtIssue || !this.caches.defer()) return this.run(req, entry.grant, grantType, params);
    try {
      return await this.run(req, entry.grant, grantType, params);
    } catch (err) {
      // The issuer withheld a still-allowed token whose claims a change raced; the scope has
      // synced, so this run reads fresh state and is confirmed without another round.
      // The second run is the same request: the client's token rate was counted by the first.
      if (err instanceof RacedTokenReissue) return this.run(req, entry.grant, grantType, params, AGAIN);
      // Refusals only: an unavailable database or a rate-limit answer is not made twice.
      const refusal = err instanceof OAuthError && err.status >= 400 && err.status < 429;
      if (refusal && (await this.caches.resync())) return this.run(req, entry.grant, grantType, params, AGAIN);
      throw err;
    }
  }

  private async run(
    req: TokenRequest,
    grant: GrantHandler,
    grantType: string,
    params: ReturnType<typeof applyParameterRules>,
    counting: { countTokenRate?: boolean } = {},
  ): Promise<TokenResponse> {
    const selfRegistered = await this.selfRegistered(req, grantType, params, counting);
    const client =
      selfRegistered ??
      (grant.clientAuthentication === 'optional' && !this.clients.presentsCredentials(req)
        ? await this.clients.identify(req)
        : await this.clients.authenticate(req, counting));
    this.clients.requireGrant(client.grantTypes, grantType);
    const dpop = await this.proof(req, client);
    const recheck = async () => {
      const again = selfRegistered
        ? await this.selfRegistered(req, grantType, params, { countTokenRate: false })
        : await this.clients.authenticate(req, { countTokenRate: false });
      this.clients.requireGrant(again!.grantTypes, grantType);
    };
    // docs/reliability.md#traces: the grant as a child span of the request.
    return inSpan(`grant ${grantType}`, { 'gatehouse.grant_type': grantType, 'gatehouse.client_id': client.id }, () =>
      grant.handle({ params, client, meta: req.meta, recheck, ...(dpop ? { dpop } : {}) }),
    );
  }

  /**
   * A Client ID Metadata Document (`https://…`) or dynamically registered (`dcr_…`) client
   * (docs/client-registration.md#at-the-token-endpoint): admitted per organization, so it is
   * resolved for the org its code or refresh token belongs to, with that org's policy and
   * blocks applied again; it authenticates as it registered (none, a secret, or a
   * `private_key_jwt` assertion; clients/self-registered-authenticator.ts). Only the code and
   * refresh grants. Null: not such a client.
   */
  private async selfRegistered(
    req: TokenRequest,
    grantType: string,
    params: FormParams,
    opts: { countTokenRate?: boolean } = {},
  ): Promise<AuthenticatedClient | null> {
    const clientId = this.selfRegisteredClients.claimedId(req);
    if (!clientId) return null;
    const unknown = (detail: string) => new InvalidClient('Unknown client.', { detail });
    let issued: { clientId: string | null; orgId: string | null } | null;
    if (grantType === 'authorization_code') issued = await this.codes.issuedTo(params.get('code'));
    else if (grantType === 'refresh_token')
      issued = await this.refreshTokens.issuedTo(this.sql, params.get('refresh_token'));
    else throw unknown(`a self-registered client may not use the ${grantType} grant`);
    // The grants' own answer for a code or token that is unknown or another client's.
    if (!issued || issued.clientId !== clientId || !issued.orgId) {
      throw new InvalidGrant(
        grantType === 'authorization_code'
          ? 'The authorization code is invalid, expired, spent or was issued to another client.'
          : 'The refresh token is invalid, expired or revoked.',
      );
    }
    return this.selfRegisteredClients.authenticate(req, clientId, issued.orgId, opts);
  }

  /**
   * RFC 9449 §5: a `DPoP` header makes the token DPoP-bound; an app with
   * `dpop_bound_access_tokens` must send one (§5.2); one with `dpop_nonce_required` must
   * sign it with the current server nonce (§8), which every answer to it carries.
   */
  private async proof(req: TokenRequest, client: AuthenticatedClient): Promise<{ jkt: string } | undefined> {
    // The common case, a bearer token for a client that asks for nothing more, costs nothing here.
    if (req.dpop === undefined && !client.dpopBound && !client.dpopNonceRequired) return undefined;
    if (client.dpopNonceRequired) req.responseHeaders['DPoP-Nonce'] = this.proofs.currentNonce();
    const ctx = {
      meta: req.meta,
      endpoint: '/oauth/token',
      actor: { id: client.id, tier: 'app' as const },
      orgId: client.orgId,
    };
    try {
      if (req.dpop === undefined) {
        if (client.dpopBound) throw await this.proofs.refuse(ctx, 'This client must send a DPoP proof.');
        return undefined;
      }
      return await this.proofs.check(
        req.dpop,
        { method: 'POST', url: this.url, requireNonce: client.dpopNonceRequired },
        ctx,
      );
    } catch (err) {
      if (!(err instanceof DpopRefused)) throw err;
      if (err.error === 'use_dpop_nonce') {
        throw new UseDpopNonce(err.description, { headers: { 'DPoP-Nonce': err.nonce! } });
      }
      throw new InvalidDpopProof(err.description);
    }
  }
}
