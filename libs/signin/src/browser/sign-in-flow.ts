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
import { PolicyService } from '@gatehouse/control';
import { ProblemError } from '@gatehouse/core';
import { AuthorizationCompletion } from './authorization-completion';
import type { AuthorizationResponse } from './authorization-response';
import { AuthorizationService, isSelfRegisteredId } from './authorization.service';
import { BrowserSessions } from './browser-sessions';
import type { PasskeyOptions } from './factors/browser-passkeys';
import { PasskeyFirstFactor } from './factors/passkey.factors';
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
  | {
      page: 'identify';
      client: ClientView;
      loginHint: string | null;
      /** The org lets its users sign in with a passkey (docs/sign-in-experience.md#passkeys-on-the-pages). */
      passkeys: boolean;
      error?: 'passkey_failed';
    }
  | {
      page: 'factor';
      step: SignInStep;
      client: ClientView;
      email: string;
      error?: 'invalid_credentials' | 'rate_limited';
      /** Steps the person may take instead (`alternative=<step>`). */
      alternatives?: SignInStep[];
    }
  | {
      page: 'consent';
      client: ClientView;
      scopes: string[];
      resource: string | null;
      /** A self-registered client's notices, in order (docs/client-registration.md#consent). */
      notices: ConsentNotice[];
    }
  | {
      /** The org requires a policy version this user has not accepted (docs/sign-in.md#policy). */
      page: 'policy';
      client: ClientView;
      version: string;
      documentUrl: string | null;
      decisionId: string;
    };

/** The answer to the page script's request for a WebAuthn ceremony's options. */
export type PasskeyOptionsResult =
  { kind: 'options'; options: PasskeyOptions } | { kind: 'expired' } | { kind: 'forbidden' } | { kind: 'rate_limited' };

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
  | {
      kind: 'stopped';
      message: string;
      recovery: string;
      decisionId: string;
      response: AuthorizationResponse;
      orgId?: string;
      clientId?: string;
    }
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
    private readonly policy: PolicyService,
    @Inject(SIGN_IN_FACTORS) private readonly factors: SignInFactor[],
    private readonly passkey: PasskeyFirstFactor,
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
      if (!email || email.length > 254 || !email.includes('@'))
        return this.page(state, await this.view(state, stage, meta), 400);
      await this.interactions.mergeParams(state.interaction.id, { email });
      return { kind: 'next' };
    }
    if (action === 'passkey' && stage.kind === 'identify') return this.passkeyFirst(meta, state, stage, form);
    if (stage.kind === 'factor' && action === stage.factor.step && !stage.factor.blocks) {
      const result = await stage.factor.verify(this.factorContext(meta, state), form);
      if (!result.ok) {
        const view = {
          ...((await this.view(state, stage, meta)) as Extract<PageView, { page: 'factor' }>),
          error: result.error,
        };
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
    if (stage.kind === 'finish' && action === 'policy' && state.interaction.subjectId) {
      return this.acceptPolicy(meta, state, state.interaction.subjectId, form.version ?? '');
    }
    // A form for a stage the sign-in is not at (a second tab, the back button): show where it is.
    return { kind: 'next' };
  }

  private async advance(meta: RequestMeta, state: FlowState): Promise<FlowResult> {
    const stage = await this.stage(meta, state);
    if (stage.kind === 'finish') return this.finish(meta, state, false);
    if (stage.kind === 'factor' && stage.factor.blocks) {
      await stage.factor.refused?.(this.factorContext(meta, state));
      return this.page(state, await this.view(state, stage, meta), 403);
    }
    return this.page(state, await this.view(state, stage, meta), 200);
  }

  /**
   * The page script's request for a ceremony's options (docs/sign-in-experience.md#passkeys-on-the-pages):
   * on the identifier page, an assertion by any passkey of the org; on a passkey step, that
   * step's ceremony. The CSRF token of the interaction is required, as for a POST.
   */
  async passkeyOptions(
    meta: RequestMeta,
    handle: string | undefined,
    csrf: string | undefined,
  ): Promise<PasskeyOptionsResult> {
    const state = await this.load(meta, handle);
    if (!state) return { kind: 'expired' };
    if (!csrf || !this.csrf.matches(state.interaction.id, csrf)) return { kind: 'forbidden' };
    const stage = await this.stage(meta, state);
    const ctx = this.factorContext(meta, state);
    const result =
      stage.kind === 'identify'
        ? await this.passkey.options(ctx)
        : stage.kind === 'factor' && stage.factor.options && !stage.factor.blocks
          ? await stage.factor.options(ctx)
          : null;
    if (!result || (!result.ok && result.error === 'refused')) return { kind: 'forbidden' };
    return result.ok ? { kind: 'options', options: result.options } : { kind: 'rate_limited' };
  }

  /** A passkey instead of the identifier: it names the user and is both factors at once. */
  private async passkeyFirst(
    meta: RequestMeta,
    state: FlowState,
    stage: Stage,
    form: Readonly<Record<string, string>>,
  ): Promise<FlowResult> {
    const result = await this.passkey.verify(this.factorContext(meta, state), form);
    if (!result.ok) {
      const view = { ...(await this.view(state, stage, meta)), error: 'passkey_failed' } as PageView;
      return this.page(state, view, 401);
    }
    const marked = await this.interactions.markStepDone(state.interaction.id, 'passkey', {
      subjectId: result.subjectId,
    });
    if (!marked) return { kind: 'expired' };
    await this.interactions.mergeParams(state.interaction.id, { email: result.email, amr: [...result.amr] });
    return { kind: 'next' };
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
    // Consent given on the page, kept while the policy page waits (see finish).
    return needConsent && interaction.params.consented !== true ? { kind: 'consent' } : { kind: 'finish' };
  }

  /**
   * The policy page's form (docs/sign-in.md#policy): the acceptance is the one
   * `POST /v1/me/policy-acceptances` records (PolicyService, `control.policy.accepted`), then
   * the sign-in finishes, the gate deciding again. Only the required version is accepted: a
   * version changed meanwhile shows the page again with the new one.
   */
  private async acceptPolicy(meta: RequestMeta, state: FlowState, userId: string, version: string) {
    try {
      await this.policy.accept({ id: userId, tier: 'user' }, meta, state.client.orgId, version, 'self');
    } catch (err) {
      if (err instanceof ProblemError && err.status === 409) return { kind: 'next' } as const;
      throw err;
    }
    return this.finish(meta, state, state.interaction.params.consented === true);
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
      policyInPage: true,
    });
    if (done.kind === 'expired') return { kind: 'expired' };
    if (done.kind === 'policy') {
      // The consent just given is remembered only when the sign-in finishes: keep it until then.
      if (consentGiven && interaction.params.consented !== true) {
        await this.interactions.mergeParams(interaction.id, { consented: true });
      }
      const view: PageView = {
        page: 'policy',
        client: clientView(state),
        version: done.version,
        documentUrl: done.documentUrl,
        decisionId: done.decisionId,
      };
      return this.page(state, view, 200);
    }
    if (done.kind === 'stopped') {
      const d = done.decision;
      return {
        kind: 'stopped',
        message: d.message,
        recovery: d.recovery,
        decisionId: d.decisionId,
        response: done.response,
        orgId: state.client.orgId,
        clientId: state.client.id,
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

  private async view(state: FlowState, stage: Stage, meta: RequestMeta): Promise<PageView> {
    const client = clientView(state);
    if (stage.kind === 'identify') {
      const passkeys = await this.passkey.enabled(state.client.orgId);
      return { page: 'identify', client, loginHint: state.request.loginHint, passkeys };
    }
    if (stage.kind === 'factor') {
      const alternatives = stage.factor.alternatives
        ? await stage.factor.alternatives(this.factorContext(meta, state))
        : [];
      return { page: 'factor', step: stage.factor.step, client, email: state.email ?? '', alternatives };
    }
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
      amr: (state.interaction.params.amr as string[] | undefined) ?? [],
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
