import { Injectable } from '@nestjs/common';
import { importClientJwks, MAX_REMOTE_JWKS_BYTES, type ClientKey } from '@gatehouse/credentials';
import { JwkError } from '@gatehouse/verifier';
import type { ClientRecord } from '../client-cache';
import { CachedDocuments, type CachePolicy } from './cached-documents';
import { GuardedFetchError, GuardedFetcher } from './guarded-fetch';

/**
 * A client's `jwks_uri` document: its own `max-age` between one minute and one hour; an
 * unknown `kid` refetches at most every 30 s (like libs/verifier/src/key-set.ts); a failing
 * URL is left alone for 5 s.
 */
export const CLIENT_JWKS_CACHE: CachePolicy = {
  minMaxAgeS: 60,
  maxMaxAgeS: 3600,
  defaultMaxAgeS: 300,
  refreshCooldownS: 30,
  errorCooldownS: 5,
  maxEntries: 1000,
};

/** Why a client's keys could not be had; `message` names the cause, never a body. */
export class ClientKeysUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientKeysUnavailable';
  }
}

/**
 * The public keys a `private_key_jwt` client signs with (docs/client-authentication.md#registering-keys):
 * its inline `jwks` (imported when the client cache loads the app), or its `jwks_uri`,
 * fetched through the guarded fetcher (64 KB cap) and cached per URL.
 */
@Injectable()
export class ClientKeySource {
  private readonly remote: CachedDocuments<readonly ClientKey[]>;

  constructor(fetcher: GuardedFetcher) {
    this.remote = new CachedDocuments(
      fetcher,
      { maxBytes: MAX_REMOTE_JWKS_BYTES, accept: 'application/jwk-set+json, application/json' },
      (res) => Object.freeze(importClientJwks(JSON.parse(res.body.toString('utf8')), 'remote')),
      CLIENT_JWKS_CACHE,
    );
  }

  /**
   * The client's keys. `refetch`: none of the cached remote keys fit (a rotation at the
   * client), so ask its `jwks_uri` again — at most once per cooldown.
   */
  async keys(app: Pick<ClientRecord, 'keys' | 'jwksUri'>, refetch = false): Promise<readonly ClientKey[]> {
    if (app.keys) return app.keys;
    if (!app.jwksUri) return [];
    try {
      return await (refetch ? this.remote.refresh(app.jwksUri) : this.remote.get(app.jwksUri));
    } catch (err) {
      if (err instanceof GuardedFetchError) throw new ClientKeysUnavailable(`jwks_uri refused (${err.code})`);
      if (err instanceof SyntaxError) throw new ClientKeysUnavailable('jwks_uri is not JSON');
      if (err instanceof JwkError) throw new ClientKeysUnavailable(`jwks_uri ${err.message}`);
      throw err;
    }
  }
}
