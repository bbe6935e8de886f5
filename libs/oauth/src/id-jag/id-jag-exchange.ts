import { Inject, Injectable } from '@nestjs/common';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import {
  CLOCK,
  GATEHOUSE_CONFIG,
  type GatehouseConfig,
  ID_JAG_TOKEN_TYPE,
  ID_JAG_TYP,
  InvalidGrant,
  InvalidRequest,
  InvalidTarget,
  OAuthError,
  TOKEN_EXCHANGE_GRANT,
  epochSeconds,
  type Clock,
} from '@gatehouse/core';
import { SqlPool } from '@gatehouse/db';
import { SigningKeyService } from '@gatehouse/keys';
import { TokenIssuer, TokenRevocationService, type AccessTokenClaims } from '@gatehouse/tokens';
import { errors, jwtVerify, type JWTHeaderParameters } from 'jose';
import type { GrantRequest, TokenResponse } from '../grant';
import { selectScopes } from '../scope';
import { ACCESS_TOKEN_TYPE, ExchangeTokens } from '../token-exchange/subject-token';
import { IdJagStore } from './id-jag-store';

/** How long an ID-JAG Gatehouse issues lives at most (the draft's example: 300 s). */
export const ID_JAG_TTL_S = 300;
const MAX_RESOURCE_LENGTH = 2048;
/** RFC 8693 §3: an OpenID Connect ID token as the subject. */
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';

/** What the grant needs of its subject, whichever kind of token it was. */
interface Subject {
  sub: string;
  exp: number;
  /** An ID token's `iat`, for the "valid after" marks. */
  iat?: number;
  auth_time?: number;
  /** The access token's `jti`; an ID token has none, and is named by its `sid`. */
  jti?: string;
  sid?: string;
}

/**
 * Gatehouse as the identity provider (docs/id-jag.md#gatehouse-as-the-identity-provider):
 * RFC 8693 token exchange with `requested_token_type=urn:ietf:params:oauth:token-type:id-jag`.
 * An app, authenticated as a client, trades a user's access token that was issued to it for
 * a short-lived grant addressed to another authorization server that the organization
 * allowed (`audience`), naming the `client_id` the app has there. Every outcome is audited
 * (`id_jag.issued`), by the grant's `jti`, never the grant itself.
 */
@Injectable()
export class IdJagExchange {
  constructor(
    private readonly tokens: ExchangeTokens,
    private readonly store: IdJagStore,
    private readonly issuer: TokenIssuer,
    private readonly sql: SqlPool,
    private readonly audit: AuditService,
    private readonly keys: SigningKeyService,
    private readonly revocations: TokenRevocationService,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async handle(req: GrantRequest): Promise<TokenResponse> {
    const { params, client } = req;
    let subject: Subject | undefined;
    try {
      const { audience, resource, idToken } = this.readParameters(req);
      let user: { email: string; email_verified: boolean } | null;
      if (idToken) {
        subject = await this.verifyIdToken(params.get('subject_token')!, req);
        user = await this.liveUser(client.orgId, subject.sub);
        await this.notRevokedSince(subject, req);
      } else {
        const claims = (await this.tokens.verify(params.get('subject_token')!, 'subject_token')).claims;
        subject = {
          sub: claims.sub,
          exp: claims.exp,
          jti: claims.jti,
          ...(claims.auth_time !== undefined ? { auth_time: claims.auth_time } : {}),
        };
        checkAccessTokenSubject(claims, req);
        user = await this.email(client.orgId, subject.sub);
      }
      const allowed = await this.store.audience(client.orgId, audience);
      const mapping = allowed?.clients.find((c) => c.app_id === client.id);
      if (!allowed || !mapping) {
        throw new InvalidTarget('This client may not obtain grants for that audience.', {
          detail: allowed ? 'no client_id mapping for this app' : 'audience not allowed by the organization',
        });
      }
      const scopes = selectScopes(params.get('scope'), allowed.scopes);
      const now = epochSeconds(this.clock.now());
      const ttlS = Math.max(1, Math.min(ID_JAG_TTL_S, subject.exp - now));
      const s = subject;
      const issued = await this.issuer.issueAssertion(req.meta, {
        kind: TOKEN_EXCHANGE_GRANT,
        subject: { tier: 'user', id: s.sub, clientId: client.id, org: { id: client.orgId, name: client.orgName } },
        scopes,
        assertion: {
          typ: ID_JAG_TYP,
          audience,
          ttlS,
          claims: {
            client_id: mapping.client_id,
            ...(resource ? { resource } : {}),
            ...(scopes.length ? { scope: scopes.join(' ') } : {}),
            ...(s.auth_time !== undefined ? { auth_time: s.auth_time } : {}),
            // docs/id-jag.md#claims: the directory's address and whether it is verified, so the
            // other server can link a user it knows by a verified email the first time.
            ...(user ? { email: user.email, email_verified: user.email_verified } : {}),
          },
        },
        audit: {
          action: 'id_jag.issued',
          actor: { id: client.id, tier: 'app' },
          details: (c) => ({
            outcome: 'issued',
            aud: c.aud,
            client_id: c.client_id,
            ...(resource ? { resource } : {}),
            scope: scopes.join(' '),
            ...(s.jti ? { subject_jti: s.jti } : { subject_type: 'id_token', subject_sid: s.sid }),
            expires_in: (c.exp as number) - (c.iat as number),
          }),
        },
      });
      return {
        access_token: issued.token,
        issued_token_type: ID_JAG_TOKEN_TYPE,
        token_type: 'N_A',
        expires_in: issued.expiresIn,
        scope: scopes.join(' '),
      };
    } catch (err) {
      if (err instanceof OAuthError) await this.refused(req.meta, req, subject, err);
      throw err;
    }
  }

  /** RFC 8693 §2.1 as the draft profiles it: one `audience` (an issuer), at most one `resource`, no actor token. */
  private readParameters({ params }: GrantRequest): { audience: string; resource?: string; idToken: boolean } {
    if (!params.get('subject_token')) throw new InvalidRequest('subject_token is required.');
    const type = params.get('subject_token_type');
    if (type !== ACCESS_TOKEN_TYPE && type !== ID_TOKEN_TYPE) {
      throw new InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE} or ${ID_TOKEN_TYPE} for an ID-JAG.`);
    }
    if (params.get('actor_token') !== undefined || params.get('actor_token_type') !== undefined) {
      throw new InvalidRequest('actor_token is not used to request an ID-JAG.');
    }
    const audiences = params.all('audience');
    if (audiences.length !== 1 || !audiences[0]) {
      throw new InvalidRequest("audience is required, once: the other authorization server's issuer.");
    }
    const resources = params.all('resource');
    if (resources.length > 1) throw new InvalidTarget('A grant names at most one resource.');
    const resource = resources[0];
    if (resource !== undefined && !isResourceIndicator(resource)) {
      throw new InvalidTarget('resource must be an absolute URI without a fragment (RFC 8707 §2).');
    }
    return { audience: audiences[0], ...(resource !== undefined ? { resource } : {}), idToken: type === ID_TOKEN_TYPE };
  }

  /**
   * An ID token as the subject (docs/id-jag.md#an-id-token-as-the-subject): one this server
   * signed (RS256, `typ: JWT`, one of its keys, its issuer), addressed to the client that
   * authenticated (`aud`), unexpired, of this client's organization. Any failure is
   * `invalid_grant`, the rule in the audit row only.
   */
  private async verifyIdToken(token: string, { client }: GrantRequest): Promise<Subject> {
    const refuse = (detail: string) =>
      new InvalidGrant('The subject_token is not a valid ID token issued to this client.', { detail });
    if (token.length > 8192 || token.split('.').length !== 3) throw refuse('ID token malformed');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, (header: JWTHeaderParameters) => this.keyFor(header), {
        algorithms: ['RS256'],
        typ: 'JWT',
        issuer: this.config.issuer,
        audience: client.id,
        requiredClaims: ['sub', 'exp', 'iat'],
        currentDate: this.clock.now(),
        clockTolerance: 5,
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw refuse('ID token expired');
      if (err instanceof errors.JWTClaimValidationFailed) throw refuse(`ID token "${err.claim}" not acceptable`);
      if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey) {
        throw refuse('ID token signature not ours');
      }
      throw refuse('ID token could not be verified');
    }
    // `aud` is a single string in the ID tokens Gatehouse signs (docs/sign-in.md#the-id-token).
    if (payload.aud !== client.id) throw refuse('ID token "aud" not acceptable');
    if (payload.org_id !== client.orgId) throw refuse('ID token of another organization');
    const sub = payload.sub as string;
    return {
      sub,
      exp: payload.exp as number,
      iat: payload.iat as number,
      ...(typeof payload.auth_time === 'number' ? { auth_time: payload.auth_time } : {}),
      ...(typeof payload.sid === 'string' ? { sid: payload.sid } : {}),
    };
  }

  private async keyFor(header: JWTHeaderParameters) {
    if (header.alg !== 'RS256') throw new errors.JOSEAlgNotAllowed('alg not allowed');
    if (typeof header.kid !== 'string' || header.kid.length > 64) throw new errors.JWKSNoMatchingKey();
    const key = await this.keys.verificationKey(header.kid);
    if (!key) throw new errors.JWKSNoMatchingKey();
    return key;
  }

  /**
   * An ID token is not revocable itself, but it is no better than the sign-in it records: a
   * "valid after" mark on its user, organization or client later than its `iat` (revoke-tokens,
   * a password change, sessions ended) refuses it, as it ends the browser session
   * (docs/sign-in.md#the-session).
   */
  private async notRevokedSince(subject: Subject, { client }: GrantRequest): Promise<void> {
    const revoked = await this.revocations.isRevoked({
      jti: `id_token:${subject.sid ?? ''}`,
      sub: subject.sub,
      iat: subject.iat!,
      org_id: client.orgId,
      client_id: client.id,
    });
    if (revoked) {
      throw new InvalidGrant('The subject_token is not a valid ID token issued to this client.', {
        detail: 'user tokens revoked since the ID token',
      });
    }
  }

  /** The ID token's user, read again now: deleted, disabled or of another org is `invalid_grant`. */
  private async liveUser(orgId: string, userId: string): Promise<{ email: string; email_verified: boolean }> {
    const [row] = await this.sql.query<{ org_id: string; email: string; email_verified: boolean; disabled: boolean }>(
      `SELECT org_id, email, email_verified, disabled FROM users WHERE id = $1`,
      [userId],
    );
    if (!row || row.disabled || row.org_id !== orgId) {
      throw new InvalidGrant('The subject_token is not a valid ID token issued to this client.', {
        detail: !row ? 'user deleted' : row.disabled ? 'user disabled' : 'user of another organization',
      });
    }
    return { email: row.email, email_verified: row.email_verified };
  }

  private async email(orgId: string, userId: string): Promise<{ email: string; email_verified: boolean } | null> {
    const [row] = await this.sql.query<{ email: string; email_verified: boolean }>(
      `SELECT email, email_verified FROM users WHERE org_id = $1 AND id = $2`,
      [orgId, userId],
    );
    return row ?? null;
  }

  private refused(meta: RequestMeta, req: GrantRequest, subject: Subject | undefined, err: OAuthError) {
    return this.audit.recordAlone(meta, {
      action: 'id_jag.issued',
      outcome: 'failure',
      actor: { id: req.client.id, tier: 'app' },
      orgId: req.client.orgId,
      reason: err.description ?? err.error,
      details: {
        outcome: 'refused',
        error: err.error,
        ...(err.detail ? { rule: err.detail } : {}),
        ...(req.params.get('audience') ? { aud: req.params.all('audience')[0]!.slice(0, 300) } : {}),
        ...(subject?.jti ? { subject_jti: subject.jti } : {}),
        ...(subject?.sid ? { subject_sid: subject.sid } : {}),
      },
    });
  }
}

/**
 * An access token as the subject (docs/id-jag.md#the-exchange): verified like any bearer token
 * (ExchangeTokens), a user's own token (no `act`: a step token is a delegation for one step,
 * not the user's sign-in), issued to the client that authenticated, of its organization.
 */
function checkAccessTokenSubject(claims: AccessTokenClaims, { client }: GrantRequest): void {
  if (
    claims.tier !== 'user' ||
    claims.org_id !== client.orgId ||
    claims.client_id !== client.id ||
    claims.act !== undefined
  ) {
    throw new InvalidRequest('The subject_token must be a user token issued to this client.', {
      detail: 'subject is not a user token of this client',
    });
  }
}

/** RFC 8707 §2: an absolute URI, no fragment; another server's identifier, so nothing more is known of it. */
function isResourceIndicator(value: string): boolean {
  if (value.length > MAX_RESOURCE_LENGTH || /[\s\\]/.test(value) || value.includes('#')) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}
