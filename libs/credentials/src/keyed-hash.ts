import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { deriveKey } from './secret-box';

/**
 * Keyed SHA-256 for high-entropy secrets (client secrets, recovery codes, refresh tokens,
 * one-time login challenges). These carry ≥ 50 random bits, so a slow hash buys nothing and
 * bcrypt on the token endpoint would cap it at a few dozen requests a second
 * (docs/design.md §2). The pepper is derived from the KEK, so a stolen database alone
 * cannot test guesses offline.
 */
export class KeyedHasher {
  private readonly pepper: Buffer;

  constructor(kek: Buffer, purpose: string) {
    this.pepper = deriveKey(kek, `keyed-hash/${purpose}`);
  }

  hash(value: string): string {
    return createHmac('sha256', this.pepper).update(value, 'utf8').digest('base64url');
  }

  /** Constant-time comparison of a presented value against a stored hash. */
  matches(value: string, storedHash: string): boolean {
    const a = Buffer.from(this.hash(value), 'utf8');
    const b = Buffer.from(storedHash, 'utf8');
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

/**
 * Purpose of the client-secret hash: written by the directory when a secret is created,
 * compared by the token endpoint. One name, so the two can never drift apart.
 */
export const CLIENT_SECRET_HASH = 'client-secret';

/** A random opaque secret with a recognisable prefix (so secret scanners can find leaks). */
export function randomSecret(prefix: string, bytes = 32): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}
