import { Inject, Injectable } from '@nestjs/common';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { GATEHOUSE_CONFIG, type GatehouseConfig, type StoppedDecision } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { AuthorizationCodes, ClientResolver, type AuthorizationRequest, type ClientRecord } from '@gatehouse/oauth';
import { GatedAccess } from '@gatehouse/tokens';
import { SignInInteractionRepository } from '../interactions/sign-in-interaction.repository';
import { respond, type AuthorizationResponse } from './authorization-response';
import { BrowserSessions, type BrowserSession } from './browser-sessions';
import { Consents } from './consents';

/** Who the sign-in ended with: a session already open, or a new sign-in with how it was proved. */
export type SignedIn = { session: BrowserSession } | { userId: string; amr: string[] };

export type Completion =
  | { kind: 'done'; response: AuthorizationResponse; sessionCookie?: string }
  | { kind: 'stopped'; decision: StoppedDecision; response: AuthorizationResponse }
  /** Stopped only by an unaccepted policy, where the pages can take the acceptance (docs/sign-in.md#policy). */
  | { kind: 'policy'; version: string; documentUrl: string | null; decisionId: string }
  | { kind: 'expired' };

/** The one stop the pages resolve in-page (docs/control.md#policy). */
export const POLICY_NOT_ACCEPTED = 'policy_not_accepted';

/**
 * The end of every successful sign-in (docs/sign-in.md#the-flow): the access gate decides for
 * the user (a stopped org, an unaccepted policy: a page with the reason, never a code); then,
 * in one transaction, the interaction is consumed, the session started (a new sign-in), the
 * consent remembered (when given), the code stored and the `authorization.granted` row
 * written. The pages never mint tokens: the client redeems the code at /oauth/token.
 */
@Injectable()
export class AuthorizationCompletion {
  constructor(
    private readonly prisma: PrismaService,
    private readonly codes: AuthorizationCodes,
    private readonly resolver: ClientResolver,
    private readonly sessions: BrowserSessions,
    private readonly consents: Consents,
    private readonly interactions: SignInInteractionRepository,
    private readonly gate: GatedAccess,
    private readonly audit: AuditService,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  async complete(
    meta: RequestMeta,
    request: AuthorizationRequest,
    client: ClientRecord,
    who: SignedIn,
    opts: { interactionId?: string; consentGiven?: boolean; policyInPage?: boolean } = {},
  ): Promise<Completion> {
    const userId = 'session' in who ? who.session.userId : who.userId;
    const decision = await this.gate.decide(meta, {
      point: 'issuance',
      subject: { tier: 'user', id: userId, orgId: client.orgId, clientId: client.id },
      scopes: request.scopes,
      grantType: 'authorization_code',
    });
    if (decision.outcome !== 'allow') {
      // The policy is the last rule the gate applies (docs/control.md#reasons), so this stop
      // means nothing else stands in the way: the sign-in waits on the policy page, unspent.
      const required = decision.inputs?.required_version;
      if (opts.policyInPage && decision.reason === POLICY_NOT_ACCEPTED && typeof required === 'string') {
        const url = decision.inputs?.document_url;
        return {
          kind: 'policy',
          version: required,
          documentUrl: typeof url === 'string' ? url : null,
          decisionId: decision.decisionId,
        };
      }
      if (opts.interactionId) await this.interactions.consume(opts.interactionId);
      await this.audit.recordAlone(meta, {
        action: 'authorization.denied',
        outcome: 'failure',
        actor: { id: userId, tier: 'user' },
        orgId: client.orgId,
        target: { type: 'application', id: client.id },
        reason: decision.reason,
        details: { client_id: client.id, decision_id: decision.decisionId },
      });
      return {
        kind: 'stopped',
        decision,
        response: this.respond(request, {
          error: 'access_denied',
          error_description: decision.message,
        }),
      };
    }
    const result = await this.prisma.transaction(async (tx) => {
      if (opts.interactionId && !(await this.interactions.consume(opts.interactionId, tx))) return null;
      let session: BrowserSession;
      let sessionCookie: string | undefined;
      if ('session' in who) session = who.session;
      else {
        const started = await this.sessions.start(tx, meta, {
          userId,
          orgId: client.orgId,
          amr: who.amr,
          clientId: client.id,
        });
        session = started.session;
        sessionCookie = started.cookie;
        await this.audit.record(tx, meta, {
          action: 'user.login',
          outcome: 'success',
          actor: { id: userId, tier: 'user' },
          orgId: client.orgId,
          details: { client_id: client.id, via: 'browser', amr: who.amr },
        });
      }
      if (opts.consentGiven) {
        await this.consents.grant(tx, meta, {
          orgId: client.orgId,
          userId,
          clientId: client.id,
          resource: request.resource,
          scopes: request.scopes,
        });
      }
      const code = await this.codes.create(
        {
          clientId: client.id,
          orgId: client.orgId,
          userId,
          redirectUri: request.redirectUri,
          codeChallenge: request.codeChallenge,
          codeChallengeMethod: request.codeChallengeMethod,
          nonce: request.nonce,
          scopes: request.scopes,
          resource: request.resource,
          authTime: session.authTime,
          sid: session.id,
          amr: session.amr,
        },
        tx,
      );
      await this.audit.record(tx, meta, {
        action: 'authorization.granted',
        outcome: 'success',
        actor: { id: userId, tier: 'user' },
        orgId: client.orgId,
        target: { type: 'application', id: client.id },
        details: {
          client_id: client.id,
          scope: request.scopes.join(' '),
          sid: session.id,
          ...(request.resource ? { resource: request.resource } : {}),
          sso: 'session' in who,
        },
      });
      return { code, sessionCookie };
    });
    if (!result) return { kind: 'expired' };
    // The org's list of self-registered clients shows which ones its people consented to
    // (docs/client-registration.md#consent).
    if (opts.consentGiven && client.signIn.selfRegistered) await this.resolver.recordConsent(client.orgId, client.id);
    return {
      kind: 'done',
      response: this.respond(request, { code: result.code }),
      ...(result.sessionCookie ? { sessionCookie: result.sessionCookie } : {}),
    };
  }

  /** A response to the client for a checked request. */
  respond(request: AuthorizationRequest, params: Record<string, string>): AuthorizationResponse {
    return respond(request.redirectUri, request.responseMode, this.config.issuer, request.state, params);
  }
}
