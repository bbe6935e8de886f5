import { Inject, Injectable } from '@nestjs/common';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { CLOCK, GATEHOUSE_CONFIG, isId, type Clock, type GatehouseConfig } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import {
  ClientAuthenticator,
  checkAuthorizationRequest,
  type AuthorizationRequest,
  type ClientRecord,
  type FormParams,
} from '@gatehouse/oauth';
import type { JsonObject } from '../interactions/sign-in-interaction.repository';
import { SignInInteractionRepository } from '../interactions/sign-in-interaction.repository';
import { AuthorizationCompletion } from './authorization-completion';
import { respond, type AuthorizationResponse } from './authorization-response';
import { BrowserSessions, type BrowserSession } from './browser-sessions';
import { Consents } from './consents';

/** How long a browser has to finish signing in (docs/sign-in.md#the-flow). */
export const AUTHORIZATION_INTERACTION_TTL_S = 600;

export type AuthorizeOutcome =
  | AuthorizationResponse
  | { kind: 'error-page'; error: string; description: string }
  | { kind: 'interaction'; handle: string }
  | { kind: 'stopped'; message: string; recovery: string; decisionId: string; response: AuthorizationResponse };

/**
 * `GET|POST /oauth/authorize` (docs/sign-in.md#the-authorization-endpoint): runs the
 * declared checks; then, with a live session of the client's org and nothing asking for a new
 * sign-in or a consent, completes at once (SSO); with `prompt=none` answers
 * `login_required` / `consent_required` instead of showing a page; otherwise parks the request
 * as an `authorization` interaction and hands its handle to the sign-in pages.
 */
@Injectable()
export class AuthorizationService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly clients: ClientAuthenticator,
    private readonly sessions: BrowserSessions,
    private readonly consents: Consents,
    private readonly interactions: SignInInteractionRepository,
    private readonly completion: AuthorizationCompletion,
    private readonly audit: AuditService,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async authorize(meta: RequestMeta, params: FormParams, sessionCookie: string | undefined): Promise<AuthorizeOutcome> {
    const ids = params.all('client_id');
    const client = ids.length === 1 ? await this.clients.lookup(ids[0]) : null;
    const checked = checkAuthorizationRequest({
      params,
      client,
      organization: params.has('organization') ? await this.organization(params.all('organization')[0]) : undefined,
      defaultAudience: this.config.audience,
      request: {},
    });
    if (!checked.ok) {
      const { failure } = checked;
      await this.audit.recordAlone(meta, {
        action: 'authorization.error',
        outcome: 'failure',
        actor: client ? { id: client.id, tier: 'app' } : null,
        orgId: client?.orgId ?? null,
        reason: failure.description,
        details: { error: failure.error, shown: failure.where },
      });
      if (failure.where === 'page')
        return { kind: 'error-page', error: failure.error, description: failure.description };
      return respond(
        params.get('redirect_uri')!,
        params.get('response_mode') === 'form_post' ? 'form_post' : 'query',
        this.config.issuer,
        checked.state,
        { error: failure.error, error_description: failure.description },
      );
    }
    const request = checked.request;
    const app = client!;
    const found = await this.sessions.find(sessionCookie);
    const session = found && found.orgId === app.orgId ? found : null;
    const needLogin = !session || this.wantsNewSignIn(request, session);
    const needConsent = await this.needsConsent(request, app, needLogin ? null : session!.userId);
    if (request.prompt.includes('none')) {
      const error = needLogin ? 'login_required' : needConsent ? 'consent_required' : null;
      if (error) return this.refuse(meta, request, app, error, 'prompt=none and the user must interact');
    }
    if (!needLogin && !needConsent) {
      const done = await this.completion.complete(meta, request, app, { session: session! });
      if (done.kind === 'done') return done.response;
      if (done.kind === 'stopped') {
        if (request.prompt.includes('none')) return done.response;
        return { kind: 'stopped', ...pick(done.decision), response: done.response };
      }
    }
    const { handle } = await this.interactions.create({
      kind: 'authorization',
      orgId: app.orgId,
      clientId: app.id,
      subjectId: needLogin ? null : session!.userId,
      params: {
        request: request as unknown as JsonObject,
        ...(needLogin ? {} : { sid: session!.id }),
      },
      ttlS: AUTHORIZATION_INTERACTION_TTL_S,
    });
    return { kind: 'interaction', handle };
  }

  /** OIDC Core §3.1.2.1: `prompt=login` / `select_account`, or `max_age` exceeded, asks for a new sign-in. */
  private wantsNewSignIn(request: AuthorizationRequest, session: BrowserSession): boolean {
    if (request.prompt.includes('login') || request.prompt.includes('select_account')) return true;
    if (request.maxAge === null) return false;
    return this.clock.now().getTime() - session.authTime.getTime() > request.maxAge * 1000;
  }

  /** Consent: never for a first-party app; always with `prompt=consent`; else unless remembered. */
  async needsConsent(request: AuthorizationRequest, client: ClientRecord, userId: string | null): Promise<boolean> {
    if (client.signIn.consent === 'first_party') return false;
    if (request.prompt.includes('consent') || userId === null) return true;
    return !(await this.consents.covers(userId, client.id, request.resource, request.scopes));
  }

  private async refuse(
    meta: RequestMeta,
    request: AuthorizationRequest,
    client: ClientRecord,
    error: string,
    why: string,
  ): Promise<AuthorizationResponse> {
    await this.audit.recordAlone(meta, {
      action: 'authorization.denied',
      outcome: 'failure',
      actor: { id: client.id, tier: 'app' },
      orgId: client.orgId,
      reason: why,
      details: { error, client_id: client.id },
    });
    return this.completion.respond(request, { error });
  }

  private async organization(value: string): Promise<{ id: string; name: string } | null> {
    if (value.length > 100) return null;
    return this.prisma.organization.findFirst({
      where: isId('org', value) ? { id: value } : { name: value },
      select: { id: true, name: true },
    });
  }
}

function pick(d: { message: string; recovery: string; decisionId: string }) {
  return { message: d.message, recovery: d.recovery, decisionId: d.decisionId };
}
