import { Inject, Injectable } from '@nestjs/common';
import type { RequestMeta } from '@gatehouse/audit';
import { KEK, KeyedHasher } from '@gatehouse/credentials';
import {
  ClientAuthenticator,
  ClientRefused,
  ClientResolver,
  consentNotices,
  type AuthorizationRequest,
  type ClientRecord,
  type ConsentNotice,
} from '@gatehouse/oauth';
import type { SignInStep } from '../interactions/interaction-kinds';
import { SignInInteractionRepository, type SignInInteraction } from '../interactions/sign-in-interaction.repository';
import { AuthorizationCompletion } from './authorization-completion';
import type { AuthorizationResponse } from './authorization-response';
import { AuthorizationService, isSelfRegisteredId } from './authorization.service';
import { BrowserSessions } from './browser-sessions';
import { SIGN_IN_FACTORS, type FactorContext, type SignInFactor } from './factors/sign-in-factor';

/** What a page shows of the client (docs/sign-in.md#consent). */
export interface ClientView {
  clientId: string;
  name: string;
  logoUri: string | null;
  clientUri: string | null;
  policyUri: string | null;
  tosUri: string | null;
  redirectHost: string;
  orgName: string;
}

export type PageView =
  | { page: 'identify'; client: ClientView; loginHint: string | null }
  | {
      page: 'factor';
      step: SignInStep;
      client: ClientView;
      email: string;
      error?: 'invalid_credentials' | 'rate_limited';
    }
  | {
      page: 'consent';
      client: ClientView;
      scopes: string[];
      resource: string | null;
      /** A self-registered client's notices, in order (docs/client-registration.md#consent). */
      notices: ConsentNotice[];
    };

export type FlowResult =
  | {
      kind: 'page';
      view: PageView;
      status: number;
      csrf: string;
      uiLocales: string[];
      /** The client's org and id: the page's default locale and branding (docs/sign-in-experience.md#branding). */
      orgId: string;
      clientId: string;
    }
  | { kind: 'next' }
  | { kind: 'respond'; response: AuthorizationResponse; sessionCookie?: string }
  | { kind: 'stopped'; message: string; recovery: string; decisionId: string; response: AuthorizationResponse }
  | { kind: 'expired' }
  | { kind: 'forbidden' };

/** One sign-in in progress, as the pages see it. */
interface FlowState {
  interaction: SignInInteraction;
  request: AuthorizationRequest;
  client: ClientRecord;
  email: string | null;
  sid: string | null;
}

type Stage = { kind: 'identify' } | { kind: 'factor'; factor: SignInFactor } | { kind: 'consent' } | { kind: 'finish' };

/**
 * The hosted sign-in as a state machine (docs/sign-in.md#the-flow), the shape of logto's
 * experience interaction: identify (the email) → each registered factor that applies and is
 * not done → consent when the app needs it → finish (the code, through
 * AuthorizationCompletion). The state is the `authorization` interaction; every POST carries
 * a CSRF token derived from the interaction (a token of another interaction is refused), and
 * moves it one stage on; the pages render whatever stage it is at.
 */
@Injectable()
export class SignInFlow {
  private readonly csrf: KeyedHasher;

  constructor(
    private readonly interactions: SignInInteractionRepository,
    private readonly clients: ClientAuthenticator,
    private readonly resolver: ClientResolver,
    private readonly sessions: BrowserSessions,
    private readonly authorization: AuthorizationService,
    private readonly completion: AuthorizationCompletion,
    @Inject(SIGN_IN_FACTORS) private readonly factors: SignInFactor[],
    @Inject(KEK) kek: Buffer,
  ) {
    this.csrf = new KeyedHasher(kek, 'sign-in-csrf');
  }

  /** GET: the page of the stage the sign-in is at (or its end, when nothing is left to ask). */
  async show(meta: RequestMeta, handle: string | undefined): Promise<FlowResult> {
    const state = await this.load(meta, handle);
    if (!state) return { kind: 'expired' };
    return this.advance(meta, state);
  }

  /** POST: one step's form. */
  async submit(
    meta: RequestMeta,
    handle: string | undefined,
    action: string,
    form: Readonly<Record<string, string>>,
  ): Promise<FlowResult> {
    const state = await this.load(meta, handle);
    if (!state) return { kind: 'expired' };
    if (!form.csrf || !this.csrf.matches(state.interaction.id, form.csrf)) return { kind: 'forbidden' };
    if (action === 'cancel') return this.cancel(state);
    const stage = await this.stage(meta, state);
    if (action === 'identify' && stage.kind === 'identify') {
      const email = (form.email ?? '').trim().toLowerCase();
      if (!email || email.length > 254 || !email.includes('@')) return this.page(state, this.view(state, stage), 400);
      await this.interactions.mergeParams(state.interaction.id, { email });
      return { kind: 'next' };
    }
    if (stage.kind === 'factor' && action === stage.factor.step && !stage.factor.blocks) {
      const result = await stage.factor.verify(this.factorContext(meta, state), form);
      if (!result.ok) {
        const view = { ...(this.view(state, stage) as Extract<PageView, { page: 'factor' }>), error: result.error };
        return this.page(state, view, result.error === 'rate_limited' ? 429 : 401);
      }
      const marked = await this.interactions.markStepDone(state.interaction.id, stage.factor.step, {
        subjectId: result.subjectId,
      });
      if (!marked) return { kind: 'expired' };
      await this.interactions.mergeParams(state.interaction.id, {
        amr: [...new Set([...((state.interaction.params.amr as string[] | undefined) ?? []), ...result.amr])],
      });
      return { kind: 'next' };
    }
    if (stage.kind === 'consent' && action === 'consent') {
      if (form.decision !== 'allow') return this.cancel(state);
      return this.finish(meta, state, true);
    }
    // A form for a stage the sign-in is not at (a second tab, the back button): show where it is.
    return { kind: 'next' };
  }

  private async advance(meta: RequestMeta, state: FlowState): Promise<FlowResult> {
    const stage = await this.stage(meta, state);
    if (stage.kind === 'finish') return this.finish(meta, state, false);
    if (stage.kind === 'factor' && stage.factor.blocks) {
      await stage.factor.refused?.(this.factorContext(meta, state));
      return this.page(state, this.view(state, stage), 403);
    }
    return this.page(state, this.view(state, stage), 200);
  }

  private async stage(meta: RequestMeta, state: FlowState): Promise<Stage> {
    const { interaction } = state;
    if (!state.sid) {
      if (!state.email) return { kind: 'identify' };
      const ctx = this.factorContext(meta, state);
      for (const factor of this.factors) {
        if (!interaction.stepsDone.includes(factor.step) && (await factor.applies(ctx)))
          return { kind: 'factor', factor };
      }
    }
    const needConsent = await this.authorization.needsConsent(state.request, state.client, interaction.subjectId);
    return needConsent ? { kind: 'consent' } : { kind: 'finish' };
  }

  private async finish(meta: RequestMeta, state: FlowState, consentGiven: boolean): Promise<FlowResult> {
    const { interaction } = state;
    if (!interaction.subjectId) return { kind: 'expired' };
    let who: Parameters<AuthorizationCompletion['complete']>[3];
    if (state.sid) {
      const session = await this.sessions.findById(state.sid);
      if (!session) return { kind: 'expired' };
      who = { session };
    } else {
      who = { userId: interaction.subjectId, amr: (interaction.params.amr as string[] | undefined) ?? [] };
    }
    const done = await this.completion.complete(meta, state.request, state.client, who, {
      interactionId: interaction.id,
      consentGiven,
    });
    if (done.kind === 'expired') return { kind: 'expired' };
    if (done.kind === 'stopped') {
      const d = done.decision;
      return {
        kind: 'stopped',
        message: d.message,
        recovery: d.recovery,
        decisionId: d.decisionId,
        response: done.response,
      };
    }
    return { kind: 'respond', response: done.response, sessionCookie: done.sessionCookie };
  }

  /** The person declined (consent) or gave up: `access_denied` back to the client. */
  private async cancel(state: FlowState): Promise<FlowResult> {
    if (!(await this.interactions.consume(state.interaction.id))) return { kind: 'expired' };
    return {
      kind: 'respond',
      response: this.completion.respond(state.request, {
        error: 'access_denied',
        error_description: 'The user declined.',
      }),
    };
  }

  private page(state: FlowState, view: PageView, status: number): FlowResult {
    return {
      kind: 'page',
      view,
      status,
      csrf: this.csrf.hash(state.interaction.id),
      uiLocales: state.request.uiLocales,
      orgId: state.client.orgId,
      clientId: state.client.id,
    };
  }

  private view(state: FlowState, stage: Stage): PageView {
    const client = clientView(state);
    if (stage.kind === 'identify') return { page: 'identify', client, loginHint: state.request.loginHint };
    if (stage.kind === 'factor') return { page: 'factor', step: stage.factor.step, client, email: state.email ?? '' };
    return {
      page: 'consent',
      client,
      scopes: state.request.scopes,
      resource: state.request.resource,
      notices: consentNotices(state.client.signIn),
    };
  }

  private factorContext(meta: RequestMeta, state: FlowState): FactorContext {
    return {
      meta,
      orgId: state.client.orgId,
      clientId: state.client.id,
      email: state.email ?? '',
      subjectId: state.interaction.subjectId,
    };
  }

  /**
   * The interaction's client: a registered app from the cache, or a self-registered client
   * resolved again for the interaction's org (a policy change or a block mid-sign-in applies).
   */
  private async client(meta: RequestMeta, clientId: string | null, orgId: string | null): Promise<ClientRecord | null> {
    if (!clientId) return null;
    if (!isSelfRegisteredId(clientId)) return this.clients.lookup(clientId);
    if (!orgId) return null;
    try {
      return await this.resolver.clientRecord(clientId, orgId, meta);
    } catch (err) {
      if (err instanceof ClientRefused) return null;
      throw err;
    }
  }

  private async load(meta: RequestMeta, handle: string | undefined): Promise<FlowState | null> {
    const found = await this.interactions.findLive('authorization', handle);
    if (found.status !== 'live') return null;
    const { interaction } = found;
    const client = await this.client(meta, interaction.clientId, interaction.orgId);
    if (!client || client.orgId !== interaction.orgId) return null;
    const p = interaction.params;
    return {
      interaction,
      request: p.request as unknown as AuthorizationRequest,
      client,
      email: typeof p.email === 'string' ? p.email : null,
      sid: typeof p.sid === 'string' ? p.sid : null,
    };
  }
}

function clientView(state: FlowState): ClientView {
  const c = state.client;
  return {
    clientId: c.id,
    name: c.signIn.name,
    logoUri: c.signIn.logoUri,
    clientUri: c.signIn.clientUri,
    policyUri: c.signIn.policyUri,
    tosUri: c.signIn.tosUri,
    redirectHost: new URL(state.request.redirectUri).host,
    orgName: c.orgName,
  };
}
