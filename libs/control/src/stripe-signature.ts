import { createHmac, timingSafeEqual } from 'node:crypto';

/** Stripe's default tolerance between the signed timestamp and now. */
export const STRIPE_TOLERANCE_S = 300;

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; why: 'malformed' | 'mismatch' | 'stale' };

/**
 * Verifies a `Stripe-Signature` header (docs/control.md#stripe): `t=<unix seconds>` and one
 * or more `v1=<hex>` elements, each an HMAC-SHA256 of `<t>.<raw body>` under the endpoint
 * secret; any matching v1 passes (Stripe sends several while a secret rolls). Other schemes
 * (`v0`) are ignored. A timestamp more than the tolerance from now, either way, is refused.
 */
export function verifyStripeSignature(
  header: string | undefined,
  payload: Buffer,
  secret: string,
  nowS: number,
  toleranceS = STRIPE_TOLERANCE_S,
): SignatureCheck {
  if (!header) return { ok: false, why: 'malformed' };
  let t: number | null = null;
  const v1: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't' && /^\d{1,12}$/.test(v)) t = Number(v);
    if (k === 'v1' && /^[0-9a-f]{64}$/.test(v)) v1.push(Buffer.from(v, 'hex'));
  }
  if (t === null || v1.length === 0) return { ok: false, why: 'malformed' };
  const expected = createHmac('sha256', secret).update(`${t}.`).update(payload).digest();
  if (!v1.some((sig) => timingSafeEqual(sig, expected))) return { ok: false, why: 'mismatch' };
  if (Math.abs(nowS - t) > toleranceS) return { ok: false, why: 'stale' };
  return { ok: true, timestamp: t };
}

/** The header Stripe would send for `payload` at `t` (tests and the CLI sign with it). */
export function signStripePayload(payload: string, secret: string, t: number): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex')}`;
}
