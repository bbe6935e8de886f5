import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { loadConfig, systemClock } from '@gatehouse/core';
import { SecretBox } from '@gatehouse/credentials';
import type { JWK } from 'jose';
import type { SigningKeyRecord, SigningKeyRepository, SigningKeyState } from './signing-key.repository';
import { SigningKeyService } from './signing-key.service';

const box = new SecretBox(randomBytes(32));

function key(kid: string, state: SigningKeyState): SigningKeyRecord {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  return {
    kid,
    state,
    alg: 'RS256',
    publicJwk: { kty: 'RSA', n: jwk.n, e: jwk.e, kid, alg: 'RS256', use: 'sig' },
    privateKeyEnc: box.seal(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, `signing-key:${kid}`),
    createdAt: new Date(),
    activatedAt: state === 'current' ? new Date() : null,
    retiredAt: state === 'retired' ? new Date() : null,
    revokedAt: null,
  };
}

/** The repository as the cache sees it: one query, answered from a list the test controls. */
function serviceOver(rows: () => SigningKeyRecord[] | Promise<SigningKeyRecord[]>) {
  const repo = { listPublished: async () => rows() } as unknown as SigningKeyRepository;
  return new SigningKeyService(repo, box, loadConfig({}), systemClock);
}

describe('SigningKeyService (the in-memory key view)', () => {
  const a = key('key_A', 'current');
  const b = key('key_B', 'next');

  it('signs with the current key and publishes next and current in the JWKS', async () => {
    const svc = serviceOver(() => [b, a]);
    await svc.reload();
    expect(svc.currentSigner().kid).toBe('key_A');
    const doc = JSON.parse(svc.jwksDocument().body);
    expect(doc.keys.map((k: { kid: string }) => k.kid)).toEqual(['key_B', 'key_A']);
    expect(Object.keys(doc.keys[0]).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect(await svc.verificationKey('key_B')).not.toBeNull();
  });

  it('changes the ETag with the key set and keeps it while the set is unchanged', async () => {
    let rows = [b, a];
    const svc = serviceOver(() => rows);
    await svc.reload();
    const first = svc.jwksDocument().etag;
    await svc.reload();
    expect(svc.jwksDocument().etag).toBe(first);
    rows = [key('key_C', 'next'), { ...b, state: 'current' }, { ...a, state: 'retired', privateKeyEnc: '' }];
    await svc.reload();
    expect(svc.jwksDocument().etag).not.toBe(first);
    expect(svc.currentSigner().kid).toBe('key_B');
  });

  it('forget() drops a revoked key at once: no verification, no JWKS entry, no signing with it', async () => {
    const svc = serviceOver(() => [b, a]);
    await svc.reload();
    svc.forget('key_A');
    expect(svc.jwksDocument().body).not.toContain('key_A');
    expect(await svc.verificationKey('key_A')).toBeNull(); // and no reload within the cooldown
    expect(() => svc.currentSigner()).toThrow(/no current signing key/);
  });

  it('an older read finishing late never replaces a newer one', async () => {
    let release!: (rows: SigningKeyRecord[]) => void;
    const calls: Promise<SigningKeyRecord[]>[] = [
      new Promise((r) => (release = r)), // slow: still sees key_A as current
      Promise.resolve([{ ...b, state: 'current' }]),
    ];
    const svc = serviceOver(() => calls.shift()!);
    const slow = svc.reload();
    await svc.reload();
    release([b, a]);
    await slow;
    expect(svc.currentSigner().kid).toBe('key_B');
    expect(svc.jwksDocument().body).not.toContain('key_A');
  });
});
