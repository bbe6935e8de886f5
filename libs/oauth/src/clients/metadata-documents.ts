import { Injectable } from '@nestjs/common';
import { CachedDocuments, type CachePolicy } from './cached-documents';
import { ClientRefused } from './client-refused';
import { GuardedFetchError, GuardedFetcher } from './guarded-fetch';
import { parseMetadataDocument, type ClientMetadataDocument } from './metadata-document';

/**
 * Freshness of a Client ID Metadata Document: the document's own `max-age` between one
 * minute and one hour (ten minutes when it says nothing), so a client's change of redirect
 * URIs takes effect within the hour and a busy client is not fetched on every sign-in; a
 * failing URL is left alone for 10 s (the failure is rethrown meanwhile, never a document).
 */
export const METADATA_DOCUMENT_CACHE: CachePolicy = {
  minMaxAgeS: 60,
  maxMaxAgeS: 3600,
  defaultMaxAgeS: 600,
  refreshCooldownS: 60,
  errorCooldownS: 10,
  maxEntries: 1000,
};

/** The RFC draft's 5 KB cap and a 3 s deadline for the whole fetch. */
export const METADATA_DOCUMENT_MAX_BYTES = 5 * 1024;
export const METADATA_DOCUMENT_TIMEOUT_MS = 3000;

/** A validated document as cached: `fresh` until its first caller has audited the fetch. */
export interface FetchedDocument {
  document: ClientMetadataDocument;
  address: string;
  fetchedAt: Date;
  audited: boolean;
}

/**
 * Client ID Metadata Documents, fetched through the guarded fetcher and validated
 * (metadata-document.ts) before they are cached: a document that fails validation is a
 * failure like a refused fetch, never a cached document. Every refusal is a
 * {@link ClientRefused} whose code says why.
 */
@Injectable()
export class MetadataDocuments {
  private readonly cache: CachedDocuments<FetchedDocument>;

  constructor(fetcher: GuardedFetcher) {
    this.cache = new CachedDocuments(
      fetcher,
      { maxBytes: METADATA_DOCUMENT_MAX_BYTES, timeoutMs: METADATA_DOCUMENT_TIMEOUT_MS, accept: 'application/json' },
      (res, url) => ({
        document: parseMetadataDocument(url, res.body),
        address: res.address,
        fetchedAt: new Date(),
        audited: false,
      }),
      METADATA_DOCUMENT_CACHE,
    );
  }

  async get(url: string): Promise<FetchedDocument> {
    try {
      return await this.cache.get(url);
    } catch (err) {
      if (err instanceof GuardedFetchError) {
        const refused = new ClientRefused(err.code === 'invalid_url' ? 'invalid_client_id_url' : err.code, err.message);
        // The cache rethrows the same failure during its cooldown: keep one ClientRefused per failure.
        return Promise.reject(cachedRefusal(err, refused));
      }
      throw err;
    }
  }
}

const refusals = new WeakMap<GuardedFetchError, ClientRefused>();
function cachedRefusal(err: GuardedFetchError, refused: ClientRefused): ClientRefused {
  const known = refusals.get(err);
  if (known) return known;
  refusals.set(err, refused);
  return refused;
}
