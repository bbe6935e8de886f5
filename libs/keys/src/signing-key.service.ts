import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, GATEHOUSE_CONFIG, type Clock, type GatehouseConfig } from '@gatehouse/core';
import { SecretBox } from '@gatehouse/credentials';
import { renderJwks, type JwksDocument } from './jwks';
import { retiredPublishedAfter } from './key-lifecycle';
import { SigningKeyRepository, type SigningKeyRecord } from './signing-key.repository';

export type { JwksDocument } from './jwks';
/** Kept here for existing importers; the value lives in core config with the rules using it. */
export { JWKS_MAX_AGE_S } from '@gatehouse/core';

export interface Signer {
  kid: string;
  key: KeyObject;
}

/** An unknown `kid` reloads the key table at most this often (a kid is attacker-chosen). */
const UNKNOWN_KID_RELOAD_COOLDOWN_MS = 5_000;

/**
 * This instance's view of the signing keys (docs/design.md §4): the current signer as a
 * cached KeyObject, the public keys by kid, and the JWKS document, all in memory. The
 * token hot path signs and verifies without touching the database, and the JWKS is
 * rendered once per key change, not per request.
 *
 * The view is refreshed from Postgres by reload(): on start, every KEY_RELOAD_INTERVAL_S
 * (KeyRotationService's timer), after a change made here, and on an unknown kid. A change
 * made by another instance therefore reaches this one within one reload interval.
 */
@Injectable()
export class SigningKeyService {
  private signer: Signer | null = null;
  private published: SigningKeyRecord[] = [];
  private verificationKeys = new Map<string, KeyObject>();
  private jwks: JwksDocument = renderJwks([]);
  private lastReload = 0;
  private reloadsStarted = 0;
  private reloadsApplied = 0;

  constructor(
    private readonly repo: SigningKeyRepository,
    private readonly box: SecretBox,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  currentSigner(): Signer {
    if (!this.signer) throw new Error('no current signing key loaded');
    return this.signer;
  }

  jwksDocument(): JwksDocument {
    return this.jwks;
  }

  /**
   * The public key for `kid` from our own key table. An unknown kid triggers at most one
   * reload every few seconds (another instance may have created a key), never a lookup
   * driven by anything else in the token.
   */
  async verificationKey(kid: string): Promise<KeyObject | null> {
    const known = this.verificationKeys.get(kid);
    if (known) return known;
    if (Date.now() - this.lastReload > UNKNOWN_KID_RELOAD_COOLDOWN_MS) {
      await this.reload();
      return this.verificationKeys.get(kid) ?? null;
    }
    return null;
  }

  /** Reads the published keys from Postgres and swaps them in. */
  async reload(): Promise<void> {
    const seq = ++this.reloadsStarted;
    this.lastReload = Date.now();
    const keys = await this.repo.listPublished(retiredPublishedAfter(this.config.keys, this.clock.now()));
    // Two reloads may overlap (timer, unknown kid, a change made here): an older read
    // never replaces a newer one.
    if (seq <= this.reloadsApplied) return;
    this.reloadsApplied = seq;
    this.apply(keys);
  }

  /**
   * Drops a key from this instance at once, before any reload (emergency revocation).
   * Other instances drop it on their next reload, within KEY_RELOAD_INTERVAL_S.
   */
  forget(kid: string): void {
    this.reloadsApplied = this.reloadsStarted; // a read already in flight may still hold the key
    this.apply(this.published.filter((k) => k.kid !== kid));
  }

  private apply(keys: SigningKeyRecord[]): void {
    const verification = new Map<string, KeyObject>();
    let signer: Signer | null = null;
    for (const k of keys) {
      // KeyObjects are reused across reloads: a reload with no change costs one query.
      verification.set(
        k.kid,
        this.verificationKeys.get(k.kid) ?? createPublicKey({ key: k.publicJwk as JsonWebKey, format: 'jwk' }),
      );
      if (k.state === 'current') signer = this.signer?.kid === k.kid ? this.signer : this.open(k);
    }
    this.published = keys;
    this.verificationKeys = verification;
    // No current key in the read (a change in flight elsewhere): keep signing with the
    // cached key only while it is still published; a revoked key never signs again.
    this.signer = signer ?? (this.signer && verification.has(this.signer.kid) ? this.signer : null);
    const jwks = renderJwks(keys);
    if (jwks.etag !== this.jwks.etag) this.jwks = jwks;
  }

  private open(k: SigningKeyRecord): Signer {
    const pem = this.box.open(k.privateKeyEnc, `signing-key:${k.kid}`).toString('utf8');
    return { kid: k.kid, key: createPrivateKey(pem) };
  }
}
