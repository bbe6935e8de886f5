import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { GATEHOUSE_CONFIG, newId, type GatehouseConfig } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { SecretBox } from '@gatehouse/credentials';
import { AuditService, NO_REQUEST } from '@gatehouse/audit';
import type { JWK } from 'jose';
import { SigningKeyRepository, type SigningKeyRecord } from './signing-key.repository';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface Signer {
  kid: string;
  key: KeyObject;
}

export interface JwksDocument {
  body: string;
  etag: string;
}

/** Seconds a verifier may cache the JWKS (Cache-Control max-age). */
export const JWKS_MAX_AGE_S = 300;

/**
 * Signing keys (ARCHITECTURE.md §4). Private parts are sealed under the KEK in Postgres and
 * opened once into a cached KeyObject: the token hot path signs with node:crypto and never
 * touches the database for keys. The JWKS document is rendered once per key change and
 * served from memory with a strong ETag.
 */
@Injectable()
export class SigningKeyService implements OnModuleInit {
  private readonly log = new Logger('SigningKeys');
  private signer: Signer | null = null;
  private verificationKeys = new Map<string, KeyObject>();
  private jwks: JwksDocument = render([]);
  private lastReload = 0;

  constructor(
    private readonly repo: SigningKeyRepository,
    private readonly prisma: PrismaService,
    private readonly box: SecretBox,
    private readonly audit: AuditService,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.ensureCurrentKey();
    await this.reload();
  }

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
    if (Date.now() - this.lastReload > 5_000) {
      await this.reload();
      return this.verificationKeys.get(kid) ?? null;
    }
    return null;
  }

  /** Creates the first signing key if there is none; safe to race across instances. */
  async ensureCurrentKey(): Promise<void> {
    await this.prisma.transaction(async (tx) => {
      await this.repo.lockForRotation(tx);
      if (await this.repo.findCurrent(tx)) return;
      const key = await this.generate('current');
      await this.repo.insert(tx, key);
      await this.audit.record(tx, NO_REQUEST, {
        action: 'key.created',
        outcome: 'success',
        actor: { id: 'system', tier: 'system' },
        target: { type: 'signing_key', id: key.kid },
        details: { state: 'current', alg: 'RS256', bits: this.config.rsaBits },
      });
      this.log.log({ kid: key.kid }, 'created the first signing key');
    });
  }

  async reload(): Promise<void> {
    this.lastReload = Date.now();
    const keys = await this.repo.listPublished();
    const verification = new Map<string, KeyObject>();
    let signer: Signer | null = null;
    for (const k of keys) {
      verification.set(k.kid, createPublicKey({ key: k.publicJwk as JsonWebKey, format: 'jwk' }));
      if (k.state === 'current') {
        const pem = this.box.open(k.privateKeyEnc, `signing-key:${k.kid}`).toString('utf8');
        signer = { kid: k.kid, key: createPrivateKey(pem) };
      }
    }
    this.verificationKeys = verification;
    if (signer) this.signer = signer;
    this.jwks = render(keys);
  }

  private async generate(state: 'next' | 'current'): Promise<Omit<SigningKeyRecord, 'createdAt' | 'retiredAt'>> {
    const { publicKey, privateKey } = await generateKeyPairAsync('rsa', { modulusLength: this.config.rsaBits });
    const kid = newId('key');
    const jwk = publicKey.export({ format: 'jwk' }) as JWK;
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    return {
      kid,
      state,
      alg: 'RS256',
      publicJwk: { kty: jwk.kty, n: jwk.n, e: jwk.e, kid, alg: 'RS256', use: 'sig' },
      privateKeyEnc: this.box.seal(pem, `signing-key:${kid}`),
      activatedAt: state === 'current' ? new Date() : null,
    };
  }
}

function render(keys: SigningKeyRecord[]): JwksDocument {
  // Only public members leave: kty, n, e, kid, alg, use.
  const body = JSON.stringify({
    keys: keys.map((k) => ({
      kty: k.publicJwk.kty,
      n: k.publicJwk.n,
      e: k.publicJwk.e,
      kid: k.kid,
      alg: 'RS256',
      use: 'sig',
    })),
  });
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}
