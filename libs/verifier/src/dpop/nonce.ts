import { createHmac, timingSafeEqual } from 'node:crypto';

export interface DpopNonceOptions {
  /** At least 32 random bytes, the same on every instance that must accept the others' nonces. */
  secret: Buffer | string;
  /** How often the nonce changes, in seconds (default 60); a nonce is accepted for up to two windows. */
  windowS?: number;
}

const WINDOW_BYTES = 6;
const MAC_BYTES = 16;

/**
 * Stateless server nonces for DPoP (RFC 9449 §8, §9): the nonce is the number of the
 * current time window followed by an HMAC of it, so any instance holding the secret can
 * issue and check nonces without storing them. A nonce is accepted in its own window and
 * the next one (and the previous one, for instances whose clocks run a little ahead), so
 * it rotates every `windowS` seconds and lives at most two windows.
 *
 * @example
 * ```ts
 * const nonces = new DpopNonces({ secret: process.env.DPOP_NONCE_SECRET! });
 * res.setHeader('DPoP-Nonce', nonces.current());
 * nonces.check(proof.nonce); // true or false
 * ```
 */
export class DpopNonces {
  private readonly secret: Buffer;
  private readonly windowS: number;
  private last: { window: number; nonce: string } | null = null;

  constructor(options: DpopNonceOptions) {
    this.secret = Buffer.isBuffer(options.secret) ? options.secret : Buffer.from(options.secret, 'utf8');
    if (this.secret.length < 32) throw new TypeError('DpopNonces: the secret must have at least 32 bytes');
    this.windowS = options.windowS ?? 60;
    if (!Number.isInteger(this.windowS) || this.windowS < 1) throw new TypeError('DpopNonces: windowS must be ≥ 1');
  }

  /** The nonce of the current window (computed once per window). */
  current(nowS: number = Date.now() / 1000): string {
    const window = Math.floor(nowS / this.windowS);
    if (this.last?.window !== window) this.last = { window, nonce: this.make(window) };
    return this.last.nonce;
  }

  /** Whether `nonce` is one this secret issued for the current, previous or next window. */
  check(nonce: unknown, nowS: number = Date.now() / 1000): boolean {
    if (typeof nonce !== 'string' || nonce.length > 64 || !/^[A-Za-z0-9_-]+$/.test(nonce)) return false;
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== WINDOW_BYTES + MAC_BYTES) return false;
    const window = raw.readUIntBE(0, WINDOW_BYTES);
    const now = Math.floor(nowS / this.windowS);
    if (window < now - 1 || window > now + 1) return false;
    return timingSafeEqual(raw.subarray(WINDOW_BYTES), this.mac(window));
  }

  private make(window: number): string {
    const raw = Buffer.alloc(WINDOW_BYTES + MAC_BYTES);
    raw.writeUIntBE(window, 0, WINDOW_BYTES);
    this.mac(window).copy(raw, WINDOW_BYTES);
    return raw.toString('base64url');
  }

  private mac(window: number): Buffer {
    return createHmac('sha256', this.secret).update(`dpop-nonce:${window}`).digest().subarray(0, MAC_BYTES);
  }
}
