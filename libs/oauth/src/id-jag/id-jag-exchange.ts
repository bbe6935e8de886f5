import { Inject, Injectable } from '@nestjs/common';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import {
  CLOCK,
  ID_JAG_TOKEN_TYPE,
  ID_JAG_TYP,
  InvalidRequest,
  InvalidTarget,
  OAuthError,
  TOKEN_EXCHANGE_GRANT,
  epochSeconds,
  type Clock,
} from '@gatehouse/core';
import { SqlPool } from '@gatehouse/db';
import { TokenIssuer, type AccessTokenClaims } from '@gatehouse/tokens';
import type { GrantRequest, TokenResponse } from '../grant';
import { selectScopes } from '../scope';
import { ACCESS_TOKEN_TYPE, ExchangeTokens } from '../token-exchange/subject-token';
import { IdJagStore } from './id-jag-store';

/** How long an ID-JAG Gatehouse issues lives at most (the draft's example: 300 s). */
export const ID_JAG_TTL_S = 300;
const MAX_RESOURCE_LENGTH = 2048;

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
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async handle(req: GrantRequest): Promise<TokenResponse> {
    const { params, client } = req;
    let subject: AccessTokenClaims | undefined;
    try {
      const { audience, resource } = this.readParameters(req);
      subject = (await this.tokens.verify(params.get('subject_token')!, 'subject_token')).claims;
      // The draft's IdP processing rules: the subject must have been issued to the client that
      // authenticated (for an ID token, its `aud`; for an access token, its `client_id`), and it
      // must be a user of this client's organization.
      // A step token (`act`) is a delegation for one step, not the user's own sign-in: it does
      // not become a grant for another server.
      if (
        subject.tier !== 'user' ||
        subject.org_id !== client.orgId ||
        subject.client_id !== client.id ||
        subject.act !== undefined
      ) {
        throw new InvalidRequest('The subject_token must be a user token issued to this client.', {
          detail: 'subject is not a user token of this client',
        });
      }
      const allowed = await this.store.audience(client.orgId, audience);
      const mapping = allowed?.clients.find((c) => c.app_id === client.id);
      if (!allowed || !mapping) {
        throw new InvalidTarget('This client may not obtain grants for that audience.', {
          detail: allowed ? 'no client_id mapping for this app' : 'audience not allowed by the organization',
        });
      }
      const scopes = selectScopes(params.get('scope'), allowed.scopes);
      const user = await this.email(client.orgId, subject.sub);
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
            subject_jti: s.jti,
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
  private readParameters({ params }: GrantRequest): { audience: string; resource?: string } {
    if (!params.get('subject_token')) throw new InvalidRequest('subject_token is required.');
    if (params.get('subject_token_type') !== ACCESS_TOKEN_TYPE) {
      throw new InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE} for an ID-JAG.`);
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
    return { audience: audiences[0], ...(resource !== undefined ? { resource } : {}) };
  }

  private async email(orgId: string, userId: string): Promise<{ email: string; email_verified: boolean } | null> {
    const [row] = await this.sql.query<{ email: string; email_verified: boolean }>(
      `SELECT email, email_verified FROM users WHERE org_id = $1 AND id = $2`,
      [orgId, userId],
    );
    return row ?? null;
  }

  private refused(meta: RequestMeta, req: GrantRequest, subject: AccessTokenClaims | undefined, err: OAuthError) {
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
        ...(subject ? { subject_jti: subject.jti } : {}),
      },
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
