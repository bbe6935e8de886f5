import { Inject, Injectable } from '@nestjs/common';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { CLOCK, GATEHOUSE_CONFIG, isId, type Clock, type GatehouseConfig } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import {
  ClientAuthenticator,
  ClientRefused,
  ClientResolver,
  ResourceLookup,
  checkAuthorizationRequest,
  consentNeeded,
  isUrlClientId,
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
  | {
      kind: 'stopped';
      message: string;
      recovery: string;
      decisionId: string;
      response: AuthorizationResponse;
      /** The client's org and id, for the page's branding and language. */
      orgId: string;
      clientId: string;
    };

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
    private readonly resolver: ClientResolver,
    private readonly resources: ResourceLookup,
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
    const organization = params.has('organization')
      ? await this.organization(params.all('organization')[0])
      : undefined;
    let client: ClientRecord | null = null;
    if (ids.length === 1 && isSelfRegisteredId(ids[0])) {
      const found = await this.selfRegistered(meta, ids[0], params, organization);
      if ('refused' in found) {
        await this.audit.recordAlone(meta, {
          action: 'authorization.error',
          outcome: 'failure',
          actor: null,
          orgId: found.orgId,
          reason: found.refused,
          details: { error: 'invalid_client', shown: 'page', client_id: ids[0] },
        });
        return { kind: 'error-page', error: 'invalid_client', description: found.refused };
      }
      client = found.client;
    } else if (ids.length === 1) client = await this.clients.lookup(ids[0]);
    const checked = checkAuthorizationRequest({
      params,
      client,
      organization,
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
      const policyInPage = !request.prompt.includes('none');
      const done = await this.completion.complete(meta, request, app, { session: session! }, { policyInPage });
      if (done.kind === 'done') return done.response;
      if (done.kind === 'stopped') {
        if (request.prompt.includes('none')) return done.response;
        return {
          kind: 'stopped',
          ...pick(done.decision),
          response: done.response,
          orgId: app.orgId,
          clientId: app.id,
        };
      }
      // 'policy': parked below with the session, so the pages show the policy to accept.
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

  /**
   * Consent (docs/client-registration.md#consent): always with `prompt=consent`; never else for
   * a first-party app; otherwise unless this user already granted the client every scope asked
   * for this resource.
   */
  async needsConsent(request: AuthorizationRequest, client: ClientRecord, userId: string | null): Promise<boolean> {
    const input = {
      prompt: request.prompt,
      consentMode: client.signIn.consent,
      requested: { scopes: request.scopes, resource: request.resource },
    };
    // Cheap answers first: no remembered consent is read when it cannot change the outcome.
    if (consentNeeded({ ...input, granted: null }) === false) return false;
    if (request.prompt.includes('consent') || userId === null) return true;
    return consentNeeded({ ...input, granted: await this.consents.granted(userId, client.id, request.resource) });
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

  /**
   * A Client ID Metadata Document or dynamically registered client
   * (docs/client-registration.md#at-the-authorization-endpoint), admitted per organization:
   * the org is the one the request's single `resource` names, else the `organization`
   * parameter's. Its refusal is the error page (no redirect URI can be trusted yet).
   */
  private async selfRegistered(
    meta: RequestMeta,
    clientId: string,
    params: FormParams,
    organization: { id: string } | null | undefined,
  ): Promise<{ client: ClientRecord } | { refused: string; orgId: string | null }> {
    const resources = params.all('resource');
    let orgId: string | null = null;
    if (resources.length === 1) orgId = (await this.resources.byIdentifier(resources[0]))?.orgId ?? null;
    if (orgId === null && resources.length === 0 && organization) orgId = organization.id;
    if (orgId === null) {
      return {
        refused:
          resources.length === 0
            ? 'A client identified by a URL or registered dynamically signs in for a resource: send the resource parameter (or organization).'
            : resources.length > 1
              ? 'Send one resource parameter.'
              : 'The resource parameter names no registered resource.',
        orgId: null,
      };
    }
    try {
      return { client: await this.resolver.clientRecord(clientId, orgId, meta) };
    } catch (err) {
      if (err instanceof ClientRefused) return { refused: err.message, orgId };
      throw err;
    }
  }

  private async organization(value: string): Promise<{ id: string; name: string } | null> {
    if (value.length > 100) return null;
    return this.prisma.organization.findFirst({
      where: isId('org', value) ? { id: value } : { name: value },
      select: { id: true, name: true },
    });
  }
}

/** A `client_id` the ClientResolver admits per organization: an https URL or `dcr_…`. */
export function isSelfRegisteredId(clientId: string): boolean {
  return isId('dynamicClient', clientId) || isUrlClientId(clientId);
}

function pick(d: { message: string; recovery: string; decisionId: string }) {
  return { message: d.message, recovery: d.recovery, decisionId: d.decisionId };
}
