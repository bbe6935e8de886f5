import { Inject, Injectable } from '@nestjs/common';
import {
  DEFAULT_APP_GRANT_TYPES,
  GATEHOUSE_CONFIG,
  newId,
  Problems,
  type GatehouseConfig,
  type GrantType,
  type Principal,
  type TokenEndpointAuthMethod,
} from '@gatehouse/core';
import { isUniqueViolation, Prisma, PrismaService, type Tx } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { resolveClientAuth, type ClientAuthInput, type ClientAuthState } from './app-client-auth';
import { AppSecretService } from './app-secret.service';
import { resolveSignInFields, SIGN_IN_DEFAULTS, type SignInFields, type SignInFieldsInput } from './app-sign-in';
import { OrgAccess } from './org-access';
import { ResourceRepository } from './resources/resource.repository';
import { SessionTerminator } from './session-terminator';
import { pageArgs, searchWhere, toPage, type Page, type PageRequest } from './pagination';

export interface RateLimit {
  requests: number;
  per_seconds: number;
}

export interface CreateAppInput extends ClientAuthInput, SignInFieldsInput {
  name: string;
  scopes: string[];
  audiences?: string[];
  rate_limit?: RateLimit;
  token_rate_limit?: RateLimit;
  token_ttl_s?: number;
  grant_types?: GrantType[];
  /** Service packages the app needs the org entitled to (docs/control.md#entitlements). */
  packages?: string[];
  delegates?: string[];
  step_token_ttl_s?: number;
  /** RFC 9449 §5.2: token requests without a DPoP proof are refused. */
  dpop_bound_access_tokens?: boolean;
  /** RFC 9449 §8: DPoP proofs at the token endpoint must carry the server nonce. */
  dpop_nonce_required?: boolean;
}

export type { GrantType } from '@gatehouse/core';

export type UpdateAppInput = Partial<CreateAppInput> & { disabled?: boolean };

export interface AppView {
  id: string;
  client_id: string;
  org_id: string;
  name: string;
  scopes: string[];
  audiences: string[];
  rate_limit: RateLimit;
  token_rate_limit: RateLimit;
  token_ttl_s: number;
  grant_types: string[];
  packages: string[];
  delegates: string[];
  step_token_ttl_s: number;
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  /** The registered public keys (public by construction), or null. */
  jwks: unknown;
  jwks_uri: string | null;
  dpop_bound_access_tokens: boolean;
  dpop_nonce_required: boolean;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  client_type: string;
  require_pkce: boolean;
  consent: string;
  logo_uri: string | null;
  client_uri: string | null;
  policy_uri: string | null;
  tos_uri: string | null;
  password_login: boolean;
  disabled: boolean;
  created_at: string;
  updated_at: string;
}

/** docs/design.md §6 defaults: 600 requests a minute per token, 6,000 token requests a minute. */
export const APP_DEFAULTS = {
  rate_limit: { requests: 600, per_seconds: 60 },
  token_rate_limit: { requests: 6000, per_seconds: 60 },
  token_ttl_s: 600,
  step_token_ttl_s: 120,
} as const;

interface AppRow {
  id: string;
  orgId: string;
  name: string;
  scopes: string[];
  audiences: string[];
  rateLimitRequests: number;
  rateLimitPerSeconds: number;
  tokenRateLimitRequests: number;
  tokenRateLimitPerSeconds: number;
  tokenTtlS: number;
  grantTypes: string[];
  packages: string[];
  delegates: string[];
  stepTokenTtlS: number;
  tokenEndpointAuthMethod: string;
  jwks: unknown;
  jwksUri: string | null;
  dpopBoundAccessTokens: boolean;
  dpopNonceRequired: boolean;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  clientType: string;
  requirePkce: boolean;
  consent: string;
  logoUri: string | null;
  clientUri: string | null;
  policyUri: string | null;
  tosUri: string | null;
  passwordLogin: boolean;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const view = (a: AppRow): AppView => ({
  id: a.id,
  client_id: a.id,
  org_id: a.orgId,
  name: a.name,
  scopes: a.scopes,
  audiences: a.audiences,
  rate_limit: { requests: a.rateLimitRequests, per_seconds: a.rateLimitPerSeconds },
  token_rate_limit: { requests: a.tokenRateLimitRequests, per_seconds: a.tokenRateLimitPerSeconds },
  token_ttl_s: a.tokenTtlS,
  grant_types: a.grantTypes,
  packages: a.packages,
  delegates: a.delegates,
  step_token_ttl_s: a.stepTokenTtlS,
  token_endpoint_auth_method: a.tokenEndpointAuthMethod as TokenEndpointAuthMethod,
  jwks: a.jwks ?? null,
  jwks_uri: a.jwksUri,
  dpop_bound_access_tokens: a.dpopBoundAccessTokens,
  dpop_nonce_required: a.dpopNonceRequired,
  redirect_uris: a.redirectUris,
  post_logout_redirect_uris: a.postLogoutRedirectUris,
  client_type: a.clientType,
  require_pkce: a.requirePkce,
  consent: a.consent,
  logo_uri: a.logoUri,
  client_uri: a.clientUri,
  policy_uri: a.policyUri,
  tos_uri: a.tosUri,
  password_login: a.passwordLogin,
  disabled: a.disabled,
  created_at: a.createdAt.toISOString(),
  updated_at: a.updatedAt.toISOString(),
});

/**
 * Applications. Every query names the org it is scoped to (the route's org, after
 * OrgAccess allowed it), so an app of another org is simply not found.
 * The client secret is 32 random bytes shown once and stored as a keyed hash; an app
 * created for `private_key_jwt` gets no secret at all (docs/client-authentication.md).
 */
@Injectable()
export class AppService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: OrgAccess,
    private readonly audit: AuditService,
    private readonly secrets: AppSecretService,
    private readonly sessions: SessionTerminator,
    private readonly resources: ResourceRepository,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  async create(
    actor: Principal,
    meta: RequestMeta,
    orgId: string,
    input: CreateAppInput,
  ): Promise<AppView & { client_secret?: string; client_secret_id?: string }> {
    await this.access.resolve(actor, orgId);
    const grantTypes = input.grant_types ?? [...DEFAULT_APP_GRANT_TYPES];
    const { auth, signIn } = this.clientSettings(null, SIGN_IN_DEFAULTS, input, grantTypes);
    const rate = input.rate_limit ?? APP_DEFAULTS.rate_limit;
    const tokenRate = input.token_rate_limit ?? APP_DEFAULTS.token_rate_limit;
    if (input.delegates) await this.requireSameOrgApps(orgId, input.delegates);
    try {
      return await this.prisma.transaction(async (tx) => {
        if (input.audiences) await this.requireRegistered(tx, orgId, input.audiences);
        const app = await tx.application.create({
          data: {
            id: newId('app'),
            orgId,
            name: input.name,
            scopes: input.scopes,
            audiences: input.audiences ?? [],
            rateLimitRequests: rate.requests,
            rateLimitPerSeconds: rate.per_seconds,
            tokenRateLimitRequests: tokenRate.requests,
            tokenRateLimitPerSeconds: tokenRate.per_seconds,
            tokenTtlS: input.token_ttl_s ?? APP_DEFAULTS.token_ttl_s,
            grantTypes,
            packages: input.packages ?? [],
            delegates: input.delegates ?? [],
            stepTokenTtlS: input.step_token_ttl_s ?? APP_DEFAULTS.step_token_ttl_s,
            tokenEndpointAuthMethod: auth.method,
            jwks: json(auth.jwks),
            jwksUri: auth.jwksUri,
            dpopBoundAccessTokens: input.dpop_bound_access_tokens ?? false,
            dpopNonceRequired: input.dpop_nonce_required ?? false,
            ...signIn,
          },
        });
        // Keys instead of a secret, or a public client: such an app never has one to leak.
        const secret =
          auth.method === 'private_key_jwt' || auth.method === 'none'
            ? null
            : await this.secrets.add(tx, app.id, orgId);
        await this.audit.record(tx, meta, {
          action: 'app.created',
          outcome: 'success',
          actor,
          orgId,
          target: { type: 'application', id: app.id },
          details: {
            name: app.name,
            scopes: app.scopes,
            token_endpoint_auth_method: auth.method,
            ...(secret ? { secret_id: secret.id } : {}),
            ...(auth.jwksUri ? { jwks_uri: auth.jwksUri } : {}),
          },
        });
        return secret ? { ...view(app), client_secret: secret.secret, client_secret_id: secret.id } : view(app);
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw Problems.conflict(`This organization already has an application named "${input.name}".`);
      throw err;
    }
  }

  async list(actor: Principal, orgId: string, page: PageRequest): Promise<Page<AppView>> {
    await this.access.resolve(actor, orgId);
    const args = pageArgs(page);
    const search = searchWhere(page.q, ['name']);
    const rows = await this.prisma.application.findMany({
      ...args,
      where: { ...args.where, orgId, ...(search ? { AND: [search] } : {}) },
    });
    return toPage(rows, page.limit, view);
  }

  async get(actor: Principal, orgId: string, appId: string): Promise<AppView> {
    await this.access.resolve(actor, orgId);
    return view(await this.find(orgId, appId));
  }

  async update(
    actor: Principal,
    meta: RequestMeta,
    orgId: string,
    appId: string,
    input: UpdateAppInput,
  ): Promise<AppView> {
    await this.access.resolve(actor, orgId);
    const before = await this.find(orgId, appId);
    const { auth, signIn } = this.clientSettings(
      { method: before.tokenEndpointAuthMethod as TokenEndpointAuthMethod, jwks: before.jwks, jwksUri: before.jwksUri },
      signInFields(before),
      input,
      input.grant_types ?? before.grantTypes,
    );
    if (input.delegates) await this.requireSameOrgApps(orgId, input.delegates);
    // Disabling ends the app's tokens (and its users' tokens) issued up to now, here and at
    // offline verifiers (revocation feed); enabling it again does not bring them back.
    const disabling = input.disabled === true && !before.disabled;
    try {
      return await this.prisma.transaction(async (tx) => {
        if (input.audiences) await this.requireRegistered(tx, orgId, input.audiences);
        const app = await tx.application.update({
          where: { id: appId, orgId },
          data: {
            name: input.name,
            scopes: input.scopes,
            audiences: input.audiences,
            rateLimitRequests: input.rate_limit?.requests,
            rateLimitPerSeconds: input.rate_limit?.per_seconds,
            tokenRateLimitRequests: input.token_rate_limit?.requests,
            tokenRateLimitPerSeconds: input.token_rate_limit?.per_seconds,
            tokenTtlS: input.token_ttl_s,
            grantTypes: input.grant_types,
            packages: input.packages,
            delegates: input.delegates,
            stepTokenTtlS: input.step_token_ttl_s,
            tokenEndpointAuthMethod: auth.method,
            jwks: json(auth.jwks),
            jwksUri: auth.jwksUri,
            dpopBoundAccessTokens: input.dpop_bound_access_tokens,
            dpopNonceRequired: input.dpop_nonce_required,
            ...signIn,
            disabled: input.disabled,
          },
        });
        const methodChanged = before.tokenEndpointAuthMethod !== auth.method;
        await this.audit.record(tx, meta, {
          action: 'app.updated',
          outcome: 'success',
          actor,
          orgId,
          target: { type: 'application', id: appId },
          details: {
            changed: Object.keys(input),
            ...(input.scopes ? { scopes: input.scopes } : {}),
            ...(methodChanged
              ? { token_endpoint_auth_method: { from: before.tokenEndpointAuthMethod, to: auth.method } }
              : {}),
          },
        });
        if (disabling) await this.sessions.end(tx, meta, appId, orgId, { clientId: appId }, 'app_disabled');
        const granted = permissionChanges(before, app);
        if (granted) {
          await this.audit.record(tx, meta, {
            action: 'app.permissions.changed',
            outcome: 'success',
            actor,
            orgId,
            target: { type: 'application', id: appId },
            details: granted,
          });
        }
        return view(app);
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw Problems.conflict(`This organization already has an application named "${input.name}".`);
      throw err;
    }
  }

  async remove(actor: Principal, meta: RequestMeta, orgId: string, appId: string): Promise<void> {
    await this.access.resolve(actor, orgId);
    await this.find(orgId, appId);
    await this.prisma.transaction(async (tx) => {
      // A concurrent DELETE that committed first leaves nothing to delete: 404, not 500.
      const { count } = await tx.application.deleteMany({ where: { id: appId, orgId } });
      if (count === 0) throw Problems.notFound('application');
      await this.sessions.end(tx, meta, appId, orgId, { clientId: appId }, 'app_deleted');
      await this.audit.record(tx, meta, {
        action: 'app.deleted',
        outcome: 'success',
        actor,
        orgId,
        target: { type: 'application', id: appId },
      });
    });
  }

  /**
   * The client authentication and browser sign-in settings the app ends up with, or a 400
   * naming everything that is wrong (docs/sign-in.md#clients).
   */
  private clientSettings(
    current: ClientAuthState | null,
    currentSignIn: SignInFields,
    input: ClientAuthInput & SignInFieldsInput,
    grantTypes: readonly string[],
  ): { auth: ClientAuthState; signIn: SignInFields } {
    const { state, issues } = resolveClientAuth(current, input, { allowLoopback: this.config.cimdAllowLoopback });
    const signIn = resolveSignInFields(
      currentSignIn,
      input,
      { method: state.method, methodGiven: input.token_endpoint_auth_method !== undefined },
      grantTypes,
    );
    issues.push(...signIn.issues);
    if (issues.length) throw Problems.validation(issues);
    return { auth: { ...state, method: signIn.method }, signIn: signIn.fields };
  }

  /** Delegates name applications of the same organization (another org's are "not found"). */
  private async requireSameOrgApps(orgId: string, ids: string[]): Promise<void> {
    const found = await this.prisma.application.count({ where: { orgId, id: { in: ids } } });
    if (found !== ids.length) {
      throw Problems.validation([{ path: 'delegates', message: 'must name applications of this organization' }]);
    }
  }

  /**
   * An app's audiences name registered resources of its own organization
   * (docs/resources.md#apps-and-resources), share-locked until the change commits so none is
   * deleted under it.
   */
  private async requireRegistered(tx: Tx, orgId: string, audiences: readonly string[]): Promise<void> {
    const registered = await this.resources.lockRegistered(tx, orgId, audiences);
    const unknown = audiences.filter((a) => !registered.has(a));
    if (unknown.length) {
      throw Problems.validation(
        unknown.map((a) => ({
          path: `audiences[${audiences.indexOf(a)}]`,
          message: `"${a}" is not a registered resource of this organization (POST /v1/orgs/{orgId}/resources)`,
        })),
      );
    }
  }

  private async find(orgId: string, appId: string): Promise<AppRow> {
    const app = await this.prisma.application.findFirst({ where: { id: appId, orgId } });
    if (!app) throw Problems.notFound('application');
    return app;
  }
}

/**
 * What an app may do changed: its scopes, audiences (RFC 8707 resources), grant types, or
 * whether it is enabled at all. Null when none of them did.
 */
function permissionChanges(before: AppRow, after: AppRow): Record<string, unknown> | null {
  const changes: Record<string, unknown> = {};
  for (const [field, a, b] of [
    ['scopes', before.scopes, after.scopes],
    ['audiences', before.audiences, after.audiences],
    ['grant_types', before.grantTypes, after.grantTypes],
    ['packages', before.packages, after.packages],
    ['delegates', before.delegates, after.delegates],
    ['redirect_uris', before.redirectUris, after.redirectUris],
  ] as const) {
    const added = b.filter((x) => !a.includes(x));
    const removed = a.filter((x) => !b.includes(x));
    if (added.length || removed.length) changes[field] = { added, removed };
  }
  if (before.disabled !== after.disabled) changes.disabled = { from: before.disabled, to: after.disabled };
  return Object.keys(changes).length ? changes : null;
}

function signInFields(a: AppRow): SignInFields {
  return {
    redirectUris: a.redirectUris,
    postLogoutRedirectUris: a.postLogoutRedirectUris,
    clientType: a.clientType as SignInFields['clientType'],
    requirePkce: a.requirePkce,
    consent: a.consent as SignInFields['consent'],
    logoUri: a.logoUri,
    clientUri: a.clientUri,
    policyUri: a.policyUri,
    tosUri: a.tosUri,
    passwordLogin: a.passwordLogin,
  };
}

/** A JSON column's value for Prisma: SQL NULL for null. */
function json(value: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull {
  return value === null || value === undefined ? Prisma.DbNull : (value as Prisma.InputJsonValue);
}
