import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Encryption at rest under the key-encryption key (docs/design.md §4): AES-256-GCM with a
 * fresh 96-bit nonce per value. The `context` (e.g. "signing-key:key_…") is bound as
 * associated data, so a ciphertext copied onto another row does not decrypt.
 * Format: `v1.<nonce>.<tag>.<ciphertext>`, base64url parts.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(kek: Buffer) {
    if (kek.length !== 32) throw new Error('the key-encryption key must be 32 bytes');
    this.key = Buffer.from(hkdfSync('sha256', kek, 'gatehouse', 'secret-box/v1', 32));
  }

  seal(plaintext: Buffer | string, context: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const tag = cipher.getAuthTag();
    return ['v1', nonce.toString('base64url'), tag.toString('base64url'), ct.toString('base64url')].join('.');
  }

  open(sealed: string, context: string): Buffer {
    const [version, nonce, tag, ct] = sealed.split('.');
    if (version !== 'v1' || !nonce || !tag || ct === undefined) throw new Error('unrecognised sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(nonce, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]);
  }
}

/** A purpose-bound subkey of the KEK (HKDF), so no two uses share key material. */
export function deriveKey(kek: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', kek, 'gatehouse', purpose, 32));
}
