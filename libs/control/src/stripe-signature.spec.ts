import fc from 'fast-check';
import { signStripePayload, verifyStripeSignature } from './stripe-signature';

const SECRET = 'whsec_unit_0123456789abcdef';
const T = 1_800_000_000;

describe('Stripe-Signature (docs/control.md#stripe)', () => {
  it('accepts exactly the payload it signs, within the tolerance either way', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: -600, max: 600 }), (payload, skew) => {
        const header = signStripePayload(payload, SECRET, T);
        const check = verifyStripeSignature(header, Buffer.from(payload), SECRET, T + skew);
        expect(check.ok).toBe(Math.abs(skew) <= 300);
        if (!check.ok) expect(check.why).toBe('stale');
      }),
    );
  });

  it('refuses another payload, another secret, and headers without t or v1', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        fc.pre(a !== b);
        expect(verifyStripeSignature(signStripePayload(a, SECRET, T), Buffer.from(b), SECRET, T)).toEqual({
          ok: false,
          why: 'mismatch',
        });
      }),
    );
    expect(
      verifyStripeSignature(signStripePayload('x', 'whsec_other_secret_000', T), Buffer.from('x'), SECRET, T),
    ).toEqual({
      ok: false,
      why: 'mismatch',
    });
    for (const h of [undefined, '', 't=1', 'v1=00', `t=${T},v0=${'0'.repeat(64)}`]) {
      expect(verifyStripeSignature(h, Buffer.from('x'), SECRET, T)).toEqual({ ok: false, why: 'malformed' });
    }
  });

  it('any of several v1 signatures may match (a secret being rolled)', () => {
    const good = signStripePayload('body', SECRET, T).split(',')[1];
    const header = `t=${T},v1=${'ab'.repeat(32)},${good}`;
    expect(verifyStripeSignature(header, Buffer.from('body'), SECRET, T)).toEqual({ ok: true, timestamp: T });
  });
});
