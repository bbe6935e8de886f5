import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import { KeyedHasher, randomSecret } from './keyed-hash';
import { passwordWeakness, PasswordHasher } from './password';
import { generateRecoveryCodes, looksLikeRecoveryCode, normaliseRecoveryCode } from './recovery-codes';
import { SecretBox } from './secret-box';
import { Totp } from './totp';

const kek = randomBytes(32);

describe('SecretBox (AES-256-GCM under the KEK)', () => {
  const box = new SecretBox(kek);

  it('round-trips and never stores the plaintext', () => {
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'totp:adm_1');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.open(sealed, 'totp:adm_1').toString()).toBe('JBSWY3DPEHPK3PXP');
  });

  it('uses a fresh nonce each time', () => {
    expect(box.seal('x', 'c')).not.toBe(box.seal('x', 'c'));
  });

  it('refuses another context, another KEK and a tampered value', () => {
    const sealed = box.seal('secret', 'totp:adm_1');
    expect(() => box.open(sealed, 'totp:adm_2')).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'totp:adm_1')).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open(parts.join('.'), 'totp:adm_1')).toThrow();
  });
});

describe('KeyedHasher', () => {
  it('matches only the same value under the same KEK and purpose', () => {
    const h = new KeyedHasher(kek, 'client-secret');
    const secret = randomSecret('ghs');
    const stored = h.hash(secret);
    expect(h.matches(secret, stored)).toBe(true);
    expect(h.matches(secret + 'x', stored)).toBe(false);
    expect(new KeyedHasher(kek, 'refresh-token').matches(secret, stored)).toBe(false);
    expect(new KeyedHasher(randomBytes(32), 'client-secret').matches(secret, stored)).toBe(false);
  });

  it('random secrets carry 32 bytes behind their prefix', () => {
    const s = randomSecret('ghs');
    expect(s).toMatch(/^ghs_[A-Za-z0-9_-]{43}$/);
  });
});

describe('passwords', () => {
  it.each([
    ['short1A!', /at least 12/],
    ['alllowercaseletters', /three of/],
    ['aaaaaaaaaaaaA1', /repeat/],
    ['Alice-Password-1', /email/],
    ['A1!' + 'x'.repeat(80), /72 bytes/],
  ])('refuses %s', (pw, why) => {
    expect(passwordWeakness(pw, 'alice@example.com')).toMatch(why);
  });

  it('accepts a reasonable password', () => {
    expect(passwordWeakness('Correct-Horse-Battery-9', 'bob@example.com')).toBeNull();
  });

  it('bcrypt-hashes and verifies, and an unknown account costs a comparison too', async () => {
    const hasher = new PasswordHasher(10);
    const hash = await hasher.hash('Correct-Horse-Battery-9');
    expect(hash).toMatch(/^\$2[aby]\$10\$/);
    await expect(hasher.verify('Correct-Horse-Battery-9', hash)).resolves.toBe(true);
    await expect(hasher.verify('wrong', hash)).resolves.toBe(false);
    await expect(hasher.verify('anything', null)).resolves.toBe(false);
  });
});

describe('Totp (RFC 6238)', () => {
  const totp = new Totp('Gatehouse');
  const secret = totp.newSecret();
  const now = Date.UTC(2026, 10, 23, 12, 0, 10);
  const codeAt = (ms: number) => generate({ secret, epoch: Math.floor(ms / 1000) });

  it('accepts the current code and one step either side, not two', async () => {
    expect((await totp.check(secret, await codeAt(now), null, now)).valid).toBe(true);
    expect((await totp.check(secret, await codeAt(now - 30_000), null, now)).valid).toBe(true);
    expect((await totp.check(secret, await codeAt(now + 30_000), null, now)).valid).toBe(true);
    expect((await totp.check(secret, await codeAt(now - 90_000), null, now)).valid).toBe(false);
  });

  it('reports the time step and refuses it (or an earlier one) afterwards', async () => {
    const first = await totp.check(secret, await codeAt(now), null, now);
    expect(first.timeStep).toBe(Math.floor(now / 30_000));
    expect((await totp.check(secret, await codeAt(now), first.timeStep!, now)).valid).toBe(false);
    expect((await totp.check(secret, await codeAt(now - 30_000), first.timeStep!, now)).valid).toBe(false);
    expect((await totp.check(secret, await codeAt(now + 30_000), first.timeStep!, now)).valid).toBe(true);
  });

  it('refuses malformed codes and builds an otpauth URI and an SVG QR code', async () => {
    expect((await totp.check(secret, '12345', null, now)).valid).toBe(false);
    const uri = totp.uri(secret, 'a@example.com');
    expect(uri).toContain(`secret=${secret}`);
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    expect(await totp.qrSvg(uri)).toMatch(/^<svg/);
  });
});

describe('recovery codes', () => {
  it('are ten distinct codes that normalise from loose typing', () => {
    const codes = generateRecoveryCodes();
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
    expect(normaliseRecoveryCode(codes[0].toUpperCase().replace('-', ' '))).toBe(codes[0]);
    expect(looksLikeRecoveryCode('123456')).toBe(false);
  });
});
