import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import {
  AccessDenied,
  CLOCK,
  GATEHOUSE_CONFIG,
  InvalidToken,
  TokenRateExceeded,
  isId,
  newId,
  type Clock,
  type GatehouseConfig,
} from '@gatehouse/core';
import { CLIENT_SECRET_HASH, KEK, KeyedHasher } from '@gatehouse/credentials';
import { PrismaService } from '@gatehouse/db';
import { RequestLimits } from '@gatehouse/tokens';
import { expired } from './client-resolver';
import { parseRegistrationRequest } from './registration-request';
import { SelfRegisteredClients, type DynamicClientRow } from './self-registered-clients.repository';

/** The keyed-hash purpose of registration access tokens (never the client secrets' purpose). */
const REGISTRATION_TOKEN_HASH = 'registration-access-token';
/** Expired clients removed per registration, so the table never grows without bound. */
const EXPIRY_SWEEP = 50;

export interface RegistrationResponse {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

/**
 * RFC 7591 dynamic client registration and RFC 7592 read/delete
 * (docs/client-registration.md#dynamic-client-registration). Registration is open only while
 * some organization has it on; a registered client is bound to no organization and is admitted
 * per organization by the {@link ClientResolver}. The registration access token and a
 * confidential client's secret are returned once and stored only as keyed hashes.
 */
@Injectable()
export class DynamicRegistration {
  private readonly tokenHasher: KeyedHasher;
  private readonly secretHasher: KeyedHasher;

  constructor(
    private readonly prisma: PrismaService,
    private readonly clients: SelfRegisteredClients,
    private readonly audit: AuditService,
    private readonly limits: RequestLimits,
    @Inject(KEK) kek: Buffer,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.tokenHasher = new KeyedHasher(kek, REGISTRATION_TOKEN_HASH);
    this.secretHasher = new KeyedHasher(kek, CLIENT_SECRET_HASH);
  }

  async register(body: unknown, meta: RequestMeta): Promise<RegistrationResponse> {
    const headers = await this.limit(meta);
    const open = await this.clients.registrationOpen();
    if (!open.open) throw new AccessDenied('Dynamic client registration is not enabled.', { headers });
    const input = parseRegistrationRequest(body, { allowConfidential: open.confidential });
    await this.sweepExpired(meta);

    const id = newId('dynamicClient');
    const registrationToken = `ghreg_${randomBytes(32).toString('base64url')}`;
    // A key-based client (private_key_jwt) gets no secret: it proves itself with its keys.
    const usesSecret =
      input.tokenEndpointAuthMethod === 'client_secret_basic' || input.tokenEndpointAuthMethod === 'client_secret_post';
    const secret = usesSecret ? `ghcs_${randomBytes(32).toString('base64url')}` : null;
    const now = this.clock.now();
    await this.prisma.transaction(async (tx) => {
      await this.clients.createDynamic(tx, {
        id,
        clientName: input.clientName,
        applicationType: input.applicationType,
        redirectUris: input.redirectUris,
        grantTypes: input.grantTypes,
        tokenEndpointAuthMethod: input.tokenEndpointAuthMethod,
        metadata: input.metadata,
        secretHash: secret ? this.secretHasher.hash(secret) : null,
        registrationTokenHash: this.tokenHasher.hash(registrationToken),
        registeredFrom: meta.sourceIp,
        now,
      });
      await this.audit.record(tx, meta, {
        action: 'client.registered',
        outcome: 'success',
        target: { type: 'client', id },
        details: {
          client_name: input.clientName,
          application_type: input.applicationType,
          redirect_uris: input.redirectUris,
          grant_types: input.grantTypes,
          token_endpoint_auth_method: input.tokenEndpointAuthMethod,
        },
      });
    });
    const row = (await this.clients.dynamicClient(id))!;
    return {
      status: 201,
      headers,
      body: {
        ...this.describe(row),
        registration_access_token: registrationToken,
        ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
      },
    };
  }

  /** RFC 7592 §2.1. */
  async read(clientId: string, authorization: string | undefined): Promise<RegistrationResponse> {
    const row = await this.authorize(clientId, authorization);
    return { status: 200, headers: {}, body: this.describe(row) };
  }

  /** RFC 7592 §2.3: the client and its registration access token are gone. */
  async delete(clientId: string, authorization: string | undefined, meta: RequestMeta): Promise<RegistrationResponse> {
    const row = await this.authorize(clientId, authorization);
    await this.prisma.transaction(async (tx) => {
      await this.clients.deleteDynamic(tx, row.id);
      await this.audit.record(tx, meta, {
        action: 'client.registration.deleted',
        outcome: 'success',
        target: { type: 'client', id: row.id },
        reason: 'deleted by the client (RFC 7592)',
      });
    });
    return { status: 204, headers: {}, body: {} };
  }

  /**
   * RFC 7592 §2: the registration access token as a bearer token. An unknown client, an
   * expired one and a wrong token get the same 401 (§2.1: "MUST respond with HTTP 401").
   */
  private async authorize(clientId: string, authorization: string | undefined): Promise<DynamicClientRow> {
    const refuse = (detail: string) =>
      new InvalidToken('The registration access token is not valid for this client.', {
        detail,
        headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      });
    const m = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(authorization ?? '');
    if (!m) throw refuse('no bearer token');
    if (!isId('dynamicClient', clientId)) throw refuse('malformed client id');
    const row = await this.clients.dynamicClient(clientId);
    const now = this.clock.now();
    if (!row || expired(row, now, this.config.dcrUnusedExpiryDays)) throw refuse('unknown client');
    if (!this.tokenHasher.matches(m[1]!, row.registrationTokenHash)) throw refuse('wrong token');
    return row;
  }

  /** RFC 7591 §3.2.1: the metadata as registered. */
  private describe(row: DynamicClientRow): Record<string, unknown> {
    return {
      client_id: row.id,
      client_id_issued_at: Math.floor(row.createdAt.getTime() / 1000),
      client_name: row.clientName,
      application_type: row.applicationType,
      redirect_uris: row.redirectUris,
      grant_types: row.grantTypes,
      response_types: ['code'],
      token_endpoint_auth_method: row.tokenEndpointAuthMethod,
      ...row.metadata,
      registration_client_uri: `${this.config.issuer}/oauth/register/${row.id}`,
    };
  }

  /** Registrations per source address and hour (GATEHOUSE_DCR_RATE_LIMIT_PER_HOUR). */
  private async limit(meta: RequestMeta): Promise<Record<string, string>> {
    const key = `dcr:addr:${meta.sourceIp ?? 'unknown'}`;
    const policy = { name: 'registration', limit: this.config.dcrRateLimitPerHour, windowS: 3600 };
    return this.limits.enforce(
      meta,
      { key, policy },
      (c) => new TokenRateExceeded(`Too many registrations; retry in ${c.retryAfterS} s.`, { headers: c.headers }),
    );
  }

  /** docs/client-registration.md#expiry: unused clients are deleted, each with an audit row. */
  private async sweepExpired(meta: RequestMeta): Promise<void> {
    const days = this.config.dcrUnusedExpiryDays;
    const before = new Date(this.clock.now().getTime() - days * 86_400_000);
    for (const id of await this.clients.unusedSince(before, EXPIRY_SWEEP)) {
      await this.prisma.transaction(async (tx) => {
        if (!(await this.clients.deleteDynamic(tx, id))) return;
        await this.audit.record(tx, meta, {
          action: 'client.registration.deleted',
          outcome: 'success',
          actor: { id: 'system', tier: 'system' },
          target: { type: 'client', id },
          reason: `unused for ${days} days`,
        });
      });
    }
  }
}
