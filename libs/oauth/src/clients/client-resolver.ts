import { Inject, Injectable } from '@nestjs/common';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import {
  CLOCK,
  GATEHOUSE_CONFIG,
  isId,
  metadataDocumentHostAllowed,
  type Clock,
  type GatehouseConfig,
  type TokenEndpointAuthMethod,
} from '@gatehouse/core';
import { CLIENT_SECRET_HASH, KEK, KeyedHasher, importClientJwks, type ClientKey } from '@gatehouse/credentials';
import { PrismaService } from '@gatehouse/db';
import type { AuthenticatedClient } from '../client-authenticator';
import { checkClientIdUrl, isUrlClientId } from './client-id-url';
import { ClientRefused } from './client-refused';
import { MetadataDocuments, type FetchedDocument } from './metadata-documents';
import { allLoopback, redirectHosts, type ApplicationType } from './redirect-uris';
import { SelfRegisteredClients, type DynamicClientRow } from './self-registered-clients.repository';
import { selfRegisteredClientRecord } from './self-registered-client-record';
import { selfRegisteredTokenClient, type OrgResources } from './self-registered-token-client';
import type { ClientRecord } from '../client-cache';

/** Where a client comes from (docs/client-registration.md#one-resolver). */
export type ClientSource = 'registered' | 'metadata_document' | 'dynamic';

/** A `client_id` resolved for one sign-in: what the authorization and token endpoints need. */
export interface ResolvedClient {
  clientId: string;
  source: ClientSource;
  /** Registered apps: their org. Self-registered clients: the org they were admitted to. */
  orgId: string;
  /** What people are shown (the consent page). */
  displayName: string;
  /** Compared exactly with a request's `redirect_uri`. */
  redirectUris: readonly string[];
  applicationType: ApplicationType | null;
  authMethod: TokenEndpointAuthMethod | 'none';
  grantTypes: readonly string[];
  /** True for metadata-document and dynamically registered clients. */
  selfRegistered: boolean;
  /** A confidential dynamic client's keyed secret hash (docs/client-registration.md#dynamic-client-registration). */
  secretHash: string | null;
  /** A `private_key_jwt` client's keys: its `jwks_uri`, or its inline `jwks` imported. */
  jwksUri: string | null;
  keys: readonly ClientKey[] | null;
  /** SHA-256 of the metadata document this resolution used. */
  documentHash: string | null;
  /** For the consent page (docs/client-registration.md#consent). */
  consent: { redirectHosts: string[]; allRedirectsLoopback: boolean };
  /** Links the client declared about itself (shown on the consent page when https). */
  pages: { logoUri?: string; clientUri?: string; policyUri?: string; tosUri?: string };
}

export interface ResolveContext {
  /**
   * The organization the sign-in is for (the one its `resource` names, or the registered
   * app's). A self-registered client is admitted per organization, so it needs one.
   */
  orgId: string | null;
  meta: RequestMeta;
}

/**
 * The one place a `client_id` becomes a client (docs/client-registration.md#one-resolver):
 * an `app_…` registered app, an `https://` Client ID Metadata Document URL, or a `dcr_…`
 * dynamically registered client. A self-registered client is resolved for one organization:
 * its policy (metadata documents off/any/domains, dynamic registration on, confidential
 * clients allowed) and its blocks are applied before anything is fetched; each fetched
 * document is audited with its hash; the organization's list of such clients is kept.
 * Every refusal is a {@link ClientRefused}.
 */
@Injectable()
export class ClientResolver {
  private readonly secretHasher: KeyedHasher;

  constructor(
    private readonly prisma: PrismaService,
    private readonly clients: SelfRegisteredClients,
    private readonly documents: MetadataDocuments,
    private readonly audit: AuditService,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(KEK) kek: Buffer,
  ) {
    this.secretHasher = new KeyedHasher(kek, CLIENT_SECRET_HASH);
  }

  async resolve(clientId: string, ctx: ResolveContext): Promise<ResolvedClient> {
    if (isId('app', clientId)) return this.registered(clientId, ctx);
    if (isId('dynamicClient', clientId)) return this.dynamic(clientId, ctx);
    if (isUrlClientId(clientId)) return this.metadataDocument(clientId, ctx);
    throw new ClientRefused('unknown_client', 'Unknown client.');
  }

  /**
   * The client as the token endpoint's grants see it (the code grant, the refresh grant):
   * `clientId` resolved for the organization its code or refresh family belongs to, with that
   * organization's registered resources (docs/client-registration.md#at-the-token-endpoint).
   * A registered app is not for this: the ClientAuthenticator serves it from its cache.
   */
  async tokenClient(clientId: string, orgId: string, meta: RequestMeta, secret?: string): Promise<AuthenticatedClient> {
    const { client, view } = await this.keyedTokenClient(clientId, orgId, meta);
    if (secret === undefined) {
      // Only named itself: a public client may; a confidential one has not authenticated.
      if (client.authMethod !== 'none') throw new ClientRefused('unknown_client', 'Client authentication failed.');
      return { ...view, method: 'none' };
    }
    if (client.authMethod === 'none' || !this.secretMatches(client, secret)) {
      throw new ClientRefused('unknown_client', 'Client authentication failed.');
    }
    return view;
  }

  /**
   * {@link tokenClient} before authentication, with the keys a `private_key_jwt` client's
   * assertion is checked against (clients/self-registered-authenticator.ts).
   */
  async keyedTokenClient(
    clientId: string,
    orgId: string,
    meta: RequestMeta,
  ): Promise<{ client: ResolvedClient; view: AuthenticatedClient }> {
    const client = await this.resolveSelfRegistered(clientId, orgId, meta);
    return { client, view: selfRegisteredTokenClient(client, await this.orgResources(orgId), this.config) };
  }

  /**
   * The client as the authorization endpoint's checks and the sign-in pages see an app
   * (docs/client-registration.md#at-the-authorization-endpoint), for the organization the
   * request's `resource` names.
   */
  async clientRecord(clientId: string, orgId: string, meta: RequestMeta): Promise<ClientRecord> {
    const client = await this.resolveSelfRegistered(clientId, orgId, meta);
    return selfRegisteredClientRecord(client, await this.orgResources(orgId), this.config, client.pages);
  }

  private async resolveSelfRegistered(clientId: string, orgId: string, meta: RequestMeta): Promise<ResolvedClient> {
    const client = await this.resolve(clientId, { orgId, meta });
    if (!client.selfRegistered) throw new ClientRefused('unknown_client', 'Unknown client.');
    return client;
  }

  private async orgResources(orgId: string): Promise<OrgResources> {
    const org = await this.prisma.organization.findUnique({
      where: { id: orgId },
      select: {
        name: true,
        resources: { where: { legacy: false }, select: { identifier: true, scopes: true, tokenTtlS: true } },
      },
    });
    if (!org) throw new ClientRefused('unknown_client', 'Unknown client.');
    return {
      orgName: org.name,
      resources: org.resources.map((r) => ({
        identifier: r.identifier,
        scopes: (r.scopes as { name: string }[]).map((sc) => sc.name),
        tokenTtlS: r.tokenTtlS,
      })),
    };
  }

  /** A confidential dynamic client's secret, compared as a keyed hash in constant time. */
  secretMatches(client: Pick<ResolvedClient, 'secretHash'>, secret: string): boolean {
    return client.secretHash !== null && secret.length <= 200 && this.secretHasher.matches(secret, client.secretHash);
  }

  /** The consent page calls this once a user consented (the org's list shows it). */
  recordConsent(orgId: string, clientId: string): Promise<void> {
    return this.clients.consented(orgId, clientId, this.clock.now());
  }

  private async registered(clientId: string, ctx: ResolveContext): Promise<ResolvedClient> {
    const app = await this.prisma.application.findUnique({
      where: { id: clientId },
      select: { orgId: true, name: true, grantTypes: true, tokenEndpointAuthMethod: true, disabled: true },
    });
    if (!app || app.disabled || (ctx.orgId !== null && ctx.orgId !== app.orgId)) {
      throw new ClientRefused('unknown_client', 'Unknown client.');
    }
    return {
      clientId,
      source: 'registered',
      orgId: app.orgId,
      displayName: app.name,
      redirectUris: [],
      applicationType: null,
      authMethod: app.tokenEndpointAuthMethod as TokenEndpointAuthMethod,
      grantTypes: app.grantTypes,
      selfRegistered: false,
      secretHash: null,
      jwksUri: null,
      keys: null,
      documentHash: null,
      consent: { redirectHosts: [], allRedirectsLoopback: false },
      pages: {},
    };
  }

  private async metadataDocument(clientId: string, ctx: ResolveContext): Promise<ResolvedClient> {
    const shape = checkClientIdUrl(clientId, { allowLoopback: this.config.cimdAllowLoopback });
    if (!shape.ok) throw new ClientRefused('invalid_client_id_url', `The client_id URL ${shape.reason}.`);
    const orgId = requireOrg(ctx);
    // The organization's rules come first: a host it refuses is never fetched.
    const policy = await this.clients.policy(orgId);
    if (policy.cimd.policy === 'off') {
      throw new ClientRefused('policy_off', 'This organization does not accept clients identified by a URL.');
    }
    if (!metadataDocumentHostAllowed(policy.cimd, shape.url.hostname)) {
      throw new ClientRefused('domain_not_allowed', 'This organization does not accept clients from that domain.');
    }
    if (await this.clients.blocked(orgId, clientId)) {
      throw new ClientRefused('blocked', 'This client has been blocked by the organization.');
    }
    let fetched: FetchedDocument;
    try {
      fetched = await this.documents.get(clientId);
    } catch (err) {
      if (err instanceof ClientRefused) await this.auditRefusedFetch(ctx, orgId, clientId, err);
      throw err;
    }
    const doc = fetched.document;
    const now = this.clock.now();
    // The first caller to use a new fetch audits it (concurrent callers share one fetch).
    const audit = !fetched.audited;
    fetched.audited = true;
    await this.prisma
      .transaction(async (tx) => {
        await this.clients.seen(
          tx,
          orgId,
          clientId,
          {
            kind: 'metadata_document',
            clientName: doc.clientName,
            redirectUris: doc.redirectUris,
            documentHash: doc.sha256,
          },
          now,
        );
        if (audit) {
          await this.audit.record(tx, ctx.meta, {
            action: 'client.metadata_document.fetched',
            outcome: 'success',
            orgId,
            target: { type: 'client', id: clientId },
            details: {
              sha256: doc.sha256,
              address: fetched.address,
              client_name: doc.clientName,
              redirect_uris: doc.redirectUris,
              token_endpoint_auth_method: doc.tokenEndpointAuthMethod,
            },
          });
        }
      })
      .catch((err: unknown) => {
        // Not recorded: the next caller audits the fetch again rather than never.
        if (audit) fetched.audited = false;
        throw err;
      });
    return {
      clientId,
      source: 'metadata_document',
      orgId,
      displayName: doc.clientName,
      redirectUris: doc.redirectUris,
      applicationType: doc.applicationType,
      authMethod: doc.tokenEndpointAuthMethod,
      grantTypes: doc.grantTypes,
      selfRegistered: true,
      secretHash: null,
      jwksUri: doc.extra.jwks_uri ?? null,
      keys: inlineKeys(doc.extra.jwks),
      documentHash: doc.sha256,
      consent: consentNotes(doc.redirectUris),
      pages: {
        logoUri: doc.extra.logo_uri,
        clientUri: doc.extra.client_uri,
        policyUri: doc.extra.policy_uri,
        tosUri: doc.extra.tos_uri,
      },
    };
  }

  private async dynamic(clientId: string, ctx: ResolveContext): Promise<ResolvedClient> {
    const row = await this.clients.dynamicClient(clientId);
    const now = this.clock.now();
    if (!row || expired(row, now, this.config.dcrUnusedExpiryDays)) {
      throw new ClientRefused('unknown_client', 'Unknown client.');
    }
    const orgId = requireOrg(ctx);
    const policy = await this.clients.policy(orgId);
    if (!policy.dcrEnabled) {
      throw new ClientRefused(
        'dynamic_registration_off',
        'This organization does not accept dynamically registered clients.',
      );
    }
    if (row.tokenEndpointAuthMethod !== 'none' && !policy.dcrAllowConfidential) {
      throw new ClientRefused(
        'confidential_not_allowed',
        'This organization accepts public dynamically registered clients only.',
      );
    }
    if (await this.clients.blocked(orgId, clientId)) {
      throw new ClientRefused('blocked', 'This client has been blocked by the organization.');
    }
    await this.clients.seen(
      this.prisma,
      orgId,
      clientId,
      {
        kind: 'dynamic',
        clientName: row.clientName,
        redirectUris: row.redirectUris,
        documentHash: null,
      },
      now,
    );
    await this.clients.touchDynamic(clientId, now);
    return {
      clientId,
      source: 'dynamic',
      orgId,
      displayName: row.clientName,
      redirectUris: row.redirectUris,
      applicationType: row.applicationType,
      authMethod: row.tokenEndpointAuthMethod,
      grantTypes: row.grantTypes,
      selfRegistered: true,
      secretHash: row.secretHash,
      jwksUri: stringOrUndefined(row.metadata.jwks_uri) ?? null,
      keys: inlineKeys(row.metadata.jwks),
      documentHash: null,
      consent: consentNotes(row.redirectUris),
      pages: {
        logoUri: stringOrUndefined(row.metadata.logo_uri),
        clientUri: stringOrUndefined(row.metadata.client_uri),
        policyUri: stringOrUndefined(row.metadata.policy_uri),
        tosUri: stringOrUndefined(row.metadata.tos_uri),
      },
    };
  }

  /** One audit row per failed fetch, not per caller that the failure's cooldown turns away. */
  private async auditRefusedFetch(ctx: ResolveContext, orgId: string, clientId: string, err: ClientRefused) {
    if (auditedRefusals.has(err)) return;
    auditedRefusals.add(err);
    await this.audit.recordAlone(ctx.meta, {
      action: 'client.metadata_document.fetched',
      outcome: 'failure',
      orgId,
      target: { type: 'client', id: clientId },
      reason: err.code,
      details: { refusal: err.code },
    });
  }
}

const auditedRefusals = new WeakSet<ClientRefused>();

function requireOrg(ctx: ResolveContext): string {
  if (ctx.orgId === null) {
    throw new ClientRefused(
      'unknown_client',
      'A self-registered client signs in for a resource: send the resource parameter.',
    );
  }
  return ctx.orgId;
}

/** docs/client-registration.md#expiry */
export function expired(row: Pick<DynamicClientRow, 'lastUsedAt'>, now: Date, days: number): boolean {
  return now.getTime() - row.lastUsedAt.getTime() > days * 86_400_000;
}

/** Exact comparison (RFC 6749 §3.1.2.3, OAuth 2.1 §4.1.1): no prefixes, no normalisation. */
export function redirectUriRegistered(client: Pick<ResolvedClient, 'redirectUris'>, uri: string): boolean {
  return client.redirectUris.includes(uri);
}

/** A `jwks` checked when the document was parsed or the client registered; none: null. */
function inlineKeys(jwks: unknown): readonly ClientKey[] | null {
  return jwks === undefined ? null : Object.freeze(importClientJwks(jwks, 'inline'));
}

function stringOrUndefined(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function consentNotes(uris: readonly string[]): ResolvedClient['consent'] {
  return { redirectHosts: redirectHosts(uris), allRedirectsLoopback: allLoopback(uris) };
}
