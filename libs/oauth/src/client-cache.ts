import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { TokenEndpointAuthMethod } from '@gatehouse/core';
import type { ClientKey } from '@gatehouse/credentials';
import { CacheListener, InvalidatingCache } from '@gatehouse/db';
import type { RegisteredResource } from './resources/resolve-resource';

/**
 * The channel the triggers of migration 20261123070000_client_cache_notify notify on (and
 * those of 20261207130000_resources: a change to an org's resources drops its clients).
 */
export const CLIENT_CACHE_CHANNEL = 'gatehouse_client_cache';

/** Everything the token endpoint needs to know about a client, as one read returns it. */
export interface ClientRecord {
  id: string;
  orgId: string;
  orgName: string;
  scopes: string[];
  audiences: string[];
  /** The registered resources its `audiences` name (docs/resources.md#apps-and-resources). */
  resources: RegisteredResource[];
  tokenTtlS: number;
  grantTypes: string[];
  /** Apps that may exchange this app's tokens (their `may_act`). */
  delegates: string[];
  stepTokenTtlS: number;
  tokenRateLimit: { requests: number; perSeconds: number };
  disabled: boolean;
  /** Live (unrevoked) secrets; expiry is checked at use time, against the clock. */
  secrets: { hash: string; expiresAtMs: number | null }[];
  /** RFC 7591 §2 (docs/client-authentication.md). */
  authMethod: TokenEndpointAuthMethod;
  /** The inline `jwks`, imported once per load; null when the app registered none. */
  keys: readonly ClientKey[] | null;
  /** Where the app's keys are fetched from instead (the guarded fetcher, its own cache). */
  jwksUri: string | null;
  /** RFC 9449 §5.2 `dpop_bound_access_tokens`. */
  dpopBound: boolean;
  /** RFC 9449 §8: token requests need a server nonce in the proof. */
  dpopNonceRequired: boolean;
  /** Browser sign-in (docs/sign-in.md#clients). */
  signIn: ClientSignIn;
}

/** What the authorization endpoint, the sign-in pages and logout need of a client. */
export interface ClientSignIn {
  name: string;
  clientType: 'confidential' | 'public';
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  requirePkce: boolean;
  consent: 'required' | 'first_party';
  logoUri: string | null;
  clientUri: string | null;
  policyUri: string | null;
  tosUri: string | null;
  passwordLogin: boolean;
  /**
   * A client that registered itself (docs/client-registration.md#consent): its redirect URIs are
   * compared exactly (no loopback port freedom: they are what its document or registration
   * says), and the consent page shows the redirect hosts and warns when all are loopback.
   */
  selfRegistered?: {
    source: 'metadata_document' | 'dynamic';
    redirectHosts: string[];
    allRedirectsLoopback: boolean;
    documentHash: string | null;
  };
}

/**
 * The token endpoint's client lookup (the app, its org, its live secret hashes, its
 * registered public keys already imported), cached per instance and kept exact across instances
 * by the generic invalidating cache (libs/db/src/invalidating-cache.ts; docs/control.md#live
 * describes the discipline): triggers on organizations, applications and
 * application_secrets NOTIFY `app:<id>` / `org:<id>` at commit, whoever makes the change;
 * a read waits for one round trip on the process's listening connection (CacheListener,
 * shared with the control layer's cache), so no change committed
 * before the request is missed; a load that raced a notification is not cached; while
 * LISTEN is down, or its probe never arrives (a transaction-mode pooler), the cache is
 * bypassed. An entry is dropped by its app's key or its org's.
 */
@Injectable()
export class ClientCache implements OnModuleDestroy {
  private readonly cache: InvalidatingCache<ClientRecord>;

  constructor(listener: CacheListener) {
    this.cache = new InvalidatingCache(listener, { channel: CLIENT_CACHE_CHANNEL, what: 'every client' });
  }

  /** The cached record for `clientId`, or what `load` reads (cached when that is safe). */
  get(clientId: string, load: (clientId: string) => Promise<ClientRecord | null>): Promise<ClientRecord | null> {
    return this.cache.get(`app:${clientId}`, async () => {
      // Unknown clients are not cached: their ids are whatever a caller makes up.
      const record = await load(clientId);
      return record ? { value: freeze(record), tags: [`org:${record.orgId}`] } : null;
    });
  }

  /** Whether the cache is in use (LISTEN in force); tests and readiness can look. */
  get listening(): boolean {
    return this.cache.listening;
  }

  stats(): { hits: number; misses: number; bypassed: number; size: number } {
    return this.cache.stats();
  }

  onModuleDestroy(): void {
    this.cache.close();
  }
}

/**
 * Every request shares the cached record: freeze it, so a caller that mutated it would fail
 * loudly instead of changing what the next request sees.
 */
function freeze(record: ClientRecord): ClientRecord {
  for (const list of [record.scopes, record.audiences, record.grantTypes, record.delegates, record.secrets]) {
    Object.freeze(list);
  }
  if (record.keys) Object.freeze(record.keys);
  Object.freeze(record.signIn.redirectUris);
  Object.freeze(record.signIn.postLogoutRedirectUris);
  Object.freeze(record.signIn);
  for (const r of record.resources) Object.freeze(Object.freeze(r).scopes);
  Object.freeze(record.resources);
  return Object.freeze(record);
}
