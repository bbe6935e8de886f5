import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import {
  CLOCK,
  GATEHOUSE_CONFIG,
  InvalidGrant,
  InvalidRequest,
  InvalidScope,
  InvalidTarget,
  JWT_BEARER_GRANT,
  epochSeconds,
  type Clock,
  type GatehouseConfig,
} from '@gatehouse/core';
import { SqlPool } from '@gatehouse/db';
import { ReplayCache } from '@gatehouse/ratelimit';
import { TokenIssuer } from '@gatehouse/tokens';
import { splitCompactJws } from '@gatehouse/verifier';
import type { AuthenticatedClient } from '../client-authenticator';
import type { GrantHandler, GrantRequest, TokenResponse } from '../grant';
import { capLifetime } from '../resources/resolve-resource';
import { ResourceLookup } from '../resources/resource-lookup';
import { IdJagStore, type LocalUser } from './id-jag-store';
import {
  ID_JAG_CLOCK_TOLERANCE_S,
  IdJagRefused,
  MAX_ID_JAG_LENGTH,
  checkClaims,
  checkHeader,
  chooseResource,
  grantedScopes,
  type IdJagClaims,
} from './id-jag-rules';
import { IssuerSignature } from './issuer-signature';

const ERRORS = { invalid_grant: InvalidGrant, invalid_target: InvalidTarget, invalid_scope: InvalidScope };

/**
 * RFC 7523 §2.1 jwt-bearer with an Identity Assertion JWT Authorization Grant
 * (draft-ietf-oauth-identity-assertion-authz-grant; docs/id-jag.md): Gatehouse as the
 * resource authorization server. An authenticated client whose app lists this grant presents
 * an ID-JAG from an identity provider its organization trusts for it, and gets a user access
 * token for one registered resource of the organization. The pure checks are id-jag-rules.ts;
 * this file looks up the issuer, its keys, the resource and the user, spends the `jti`, and
 * issues through the one issuer. No refresh token: the client asks the identity provider for
 * a fresh grant, so the provider's policy applies again (identity chaining §5.2: SHOULD NOT).
 */
@Injectable()
export class JwtBearerGrant implements GrantHandler {
  readonly grantType = JWT_BEARER_GRANT;
  // RFC 7523 §2.1 `assertion`, RFC 6749 §3.3 `scope`, RFC 8707 `resource` (one: a token names one audience).
  readonly parameters = [{ name: 'assertion' }, { name: 'scope' }, { name: 'resource' }] as const;
  // The draft's security considerations: confidential clients only.
  readonly clientAuthentication = 'required';

  constructor(
    private readonly store: IdJagStore,
    private readonly signature: IssuerSignature,
    private readonly resources: ResourceLookup,
    private readonly replay: ReplayCache,
    private readonly issuer: TokenIssuer,
    private readonly sql: SqlPool,
    private readonly audit: AuditService,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async handle(req: GrantRequest): Promise<TokenResponse> {
    const { params, client } = req;
    const assertion = params.get('assertion');
    if (!assertion) throw new InvalidRequest('assertion is required.');
    let claims: IdJagClaims | undefined;
    try {
      const jws = splitCompactJws(assertion, MAX_ID_JAG_LENGTH);
      if (!jws) throw new IdJagRefused('not a compact JWS');
      const alg = checkHeader(jws.header);
      const iss = jws.payload.iss;
      if (typeof iss !== 'string' || iss === '') throw new IdJagRefused('no "iss"');
      // The draft's "Cross-Domain Use": never an access token for a grant this server issued.
      if (iss === this.config.issuer) throw new IdJagRefused('issued by this server');
      const trusted = await this.store.trustedIssuer(client.orgId, iss);
      if (!trusted || !trusted.allowedClients.includes(client.id)) {
        throw new IdJagRefused('the issuer is not trusted for this client');
      }
      await this.signature.verify(trusted, jws, alg);
      const now = epochSeconds(this.clock.now());
      claims = checkClaims(jws.payload, { issuer: this.config.issuer, clientId: client.id, now });
      const requested = params.get('resource');
      const identifier = chooseResource(requested, claims.resources);
      const resource = await this.resources.inOrg(client.orgId, identifier);
      if (!resource) {
        throw new IdJagRefused(
          'the resource is not a registered resource of this organization',
          requested === undefined ? 'invalid_grant' : 'invalid_target',
        );
      }
      if (!client.audiences.includes(resource.identifier)) {
        throw new IdJagRefused('This client may not request tokens for that resource.', 'invalid_target');
      }
      const scopes = grantedScopes(params.get('scope'), claims.scopes, resource.scopes, client.scopes);
      const user = await this.user(client, claims);
      // RFC 7523 §3 item 7: one use per jti, remembered until it expires anyway. Last, so a
      // refused grant does not spend it.
      const ttl = claims.exp - now + 2 * ID_JAG_CLOCK_TOLERANCE_S;
      const key = `idjag:${createHash('sha256').update(claims.iss).digest('base64url')}:${claims.jti}`;
      if (!(await this.replay.firstUse(key, ttl))) throw new IdJagRefused('"jti" was used before');
      const c = claims;
      return await this.sql.transaction(async (tx) => {
        if (user.linkBy === 'email' && !(await this.store.link(tx, client.orgId, c.iss, c.sub, user.id))) {
          throw new IdJagRefused('the user was linked to another subject meanwhile');
        }
        const { response } = await this.issuer.issue(
          req.meta,
          {
            kind: JWT_BEARER_GRANT,
            subject: {
              tier: 'user',
              id: user.id,
              clientId: client.id,
              org: { id: client.orgId, name: client.orgName },
            },
            scopes,
            ttlS: capLifetime(client.tokenTtlS, resource),
            audience: resource.identifier,
            authTime: c.authTime,
            dpop: req.dpop,
            audit: {
              action: 'token.issued',
              target: { type: 'user', id: user.id },
              details: (t) => ({
                tier: 'user',
                grant_type: this.grantType,
                client_id: client.id,
                scope: t.scope,
                aud: t.aud,
                auth_method: client.method,
                assertion: { iss: c.iss, sub: c.sub, jti: c.jti, linked_by: user.linkBy },
              }),
            },
          },
          tx,
        );
        return response;
      });
    } catch (err) {
      if (!(err instanceof IdJagRefused)) throw err;
      await this.refused(req.meta, client, claims, err);
      const description = err.error === 'invalid_grant' ? `The assertion was refused: ${err.reason}.` : err.reason;
      throw new ERRORS[err.error](description, { detail: err.reason });
    }
  }

  /**
   * docs/id-jag.md#linking-users: the user (issuer, sub) was linked to; else, the first time,
   * the user of the organization whose email the issuer asserts as verified and whose address
   * is verified here too — unless this issuer already knows that user by another subject. No
   * user is created.
   */
  private async user(client: AuthenticatedClient, c: IdJagClaims): Promise<LocalUser & { linkBy: 'sub' | 'email' }> {
    const linked = await this.store.linkedUser(client.orgId, c.iss, c.sub);
    if (linked) {
      if (linked.disabled) throw new IdJagRefused('the user is disabled');
      return { ...linked, linkBy: 'sub' };
    }
    if (!c.email || !c.emailVerified) throw new IdJagRefused('no user of this organization is linked to "sub"');
    const byEmail = await this.store.userByEmail(client.orgId, c.iss, c.email);
    if (!byEmail) throw new IdJagRefused('no user of this organization matches "sub" or the verified email');
    // Verified on both sides: the issuer vouches for the address, and so does this directory
    // (an admin, or the user's own confirmation), so a typo'd or unconfirmed address links nobody.
    if (!byEmail.emailVerified) throw new IdJagRefused("the matching user's email is not verified here");
    if (byEmail.linkedSubject !== null) {
      throw new IdJagRefused('the user with that email is linked to another subject of this issuer');
    }
    if (byEmail.disabled) throw new IdJagRefused('the user is disabled');
    return { id: byEmail.id, disabled: false, linkBy: 'email' };
  }

  private refused(meta: RequestMeta, client: AuthenticatedClient, claims: IdJagClaims | undefined, err: IdJagRefused) {
    return this.audit.recordAlone(meta, {
      action: 'id_jag.rejected',
      outcome: 'failure',
      actor: { id: client.id, tier: 'app' },
      orgId: client.orgId,
      reason: err.reason,
      details: {
        error: err.error,
        ...(claims ? { iss: claims.iss, sub: claims.sub, jti: claims.jti } : {}),
      },
    });
  }
}
