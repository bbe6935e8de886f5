import { JWKS_MAX_AGE_S } from '@gatehouse/core';
import { KeyRotationService, KeyScheduleService, SigningKeyService } from '@gatehouse/keys';
import { AccessTokenVerifier } from '@gatehouse/tokens';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { runCli } from '../apps/gatehouse/src/cli/cli';
import { cliCreateAdmin, loginAdmin, startGatehouse, type AdminSession, type TestGatehouse } from './support/gatehouse';
import { startSecondInstance, type SecondInstance } from './support/second-instance';

const kidOf = (token: string) => decodeProtectedHeader(token).kid as string;

/** Verifies as a downstream service would: a fresh remote JWKS, nothing shared with Gatehouse. */
const verifyRemotely = (gh: TestGatehouse, token: string) =>
  jwtVerify(token, createRemoteJWKSet(new URL(`${gh.url}/.well-known/jwks.json`)), {
    issuer: gh.url,
    audience: gh.url,
    algorithms: ['RS256'],
    typ: 'at+jwt',
  });

const jwksKids = async (gh: Pick<TestGatehouse, 'api'>): Promise<string[]> =>
  (await gh.api('GET', '/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid).sort();

/** The next key has been in the JWKS longer than the publish-ahead (instead of waiting 390 s). */
const ageNextKey = (gh: TestGatehouse) =>
  gh.sql(`UPDATE signing_keys SET created_at = created_at - interval '1 day' WHERE state = 'next'`);

/** docs/design.md §4: next → current → retired → gone, emergency revocation, the JWKS. */
describe('signing-key rotation', () => {
  let gh: TestGatehouse;
  let session: AdminSession;
  let orgAdmin: AdminSession;
  let firstKid: string; // the key signing at start (A)
  let nextKid: string; // published at start, signs after the first rotation (B)

  /** A fresh admin access token through the refresh grant (signed by whatever key is current). */
  const freshToken = async (): Promise<string> => {
    const r = await gh.api('POST', '/v1/admin/token/refresh', { body: { refresh_token: session.refresh_token } });
    expect(r.status).toBe(200);
    session = r.body;
    return session.access_token;
  };
  const me = async (token: string) => (await gh.api('GET', '/v1/me', { token })).status;

  beforeAll(async () => {
    gh = await startGatehouse();
    session = await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }));
    const org = await gh.api('POST', '/v1/orgs', {
      token: session.access_token,
      body: { name: 'keyring', display_name: 'Keyring' },
    });
    orgAdmin = await loginAdmin(gh, await cliCreateAdmin(gh, { orgIds: [org.body.id] }));
  });
  afterAll(() => gh?.close());

  it('publishes a next key before it signs: the JWKS holds a kid that no token carries yet', async () => {
    firstKid = kidOf(session.access_token);
    const kids = await jwksKids(gh);
    expect(kids).toHaveLength(2);
    expect(kids).toContain(firstKid);
    nextKid = kids.find((k) => k !== firstKid)!;
    expect(kidOf(await freshToken())).toBe(firstKid);

    const list = await gh.api('GET', '/v1/keys', { token: session.access_token });
    expect(list.status).toBe(200);
    expect(list.body.keys).toEqual([
      expect.objectContaining({ kid: nextKid, state: 'next', published: true, activated_at: null }),
      expect.objectContaining({ kid: firstKid, state: 'current', published: true, alg: 'RS256' }),
    ]);
    expect(list.body.rotation).toMatchObject({ period_s: 30 * 86400, overlap_s: 86400, publish_ahead_s: 390 });
    // ids, states and dates only: no key material of either kind
    expect(list.text).not.toMatch(/private|"n"|"d"|v1\./);
  });

  it('refuses to let a next key sign before it has been published for the publish-ahead (409 + Retry-After)', async () => {
    const etag = (await gh.api('GET', '/.well-known/jwks.json')).headers.get('etag');
    const r = await gh.api('POST', '/v1/keys/rotate', { token: session.access_token });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 'conflict', next_kid: nextKid });
    const retryAfter = Number(r.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(390);
    expect((await gh.api('GET', '/.well-known/jwks.json')).headers.get('etag')).toBe(etag);
    expect(kidOf(await freshToken())).toBe(firstKid);
  });

  it('an org admin may list the keys but neither rotate nor revoke them', async () => {
    expect((await gh.api('GET', '/v1/keys', { token: orgAdmin.access_token })).status).toBe(200);
    const rotate = await gh.api('POST', '/v1/keys/rotate', { token: orgAdmin.access_token });
    expect(rotate.status).toBe(403);
    expect(rotate.body.code).toBe('forbidden');
    const revoke = await gh.api('POST', `/v1/keys/${firstKid}/revoke`, { token: orgAdmin.access_token });
    expect(revoke.status).toBe(403);
    expect(await jwksKids(gh)).toContain(firstKid);
  });

  let issuedBefore: string;
  let thirdKid: string; // published by the first rotation (C)

  it('rotates: the published next key signs, and tokens issued before keep verifying through the overlap', async () => {
    issuedBefore = await freshToken();
    const before = await gh.api('GET', '/.well-known/jwks.json');
    await ageNextKey(gh);

    const r = await gh.api('POST', '/v1/keys/rotate', { token: session.access_token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ current_kid: nextKid, retired_kid: firstKid });
    thirdKid = r.body.next_kid;
    expect([firstKid, nextKid]).not.toContain(thirdKid);

    // the token signed before the rotation: Gatehouse and a downstream verifier accept it
    expect(kidOf(issuedBefore)).toBe(firstKid);
    expect(await me(issuedBefore)).toBe(200);
    await expect(verifyRemotely(gh, issuedBefore)).resolves.toBeTruthy();
    // new tokens carry exactly the key that was published as next
    const after = await freshToken();
    expect(kidOf(after)).toBe(nextKid);
    expect(await me(after)).toBe(200);
    await expect(verifyRemotely(gh, after)).resolves.toBeTruthy();

    expect(await jwksKids(gh)).toEqual([firstKid, nextKid, thirdKid].sort());
    const jwks = await gh.api('GET', '/.well-known/jwks.json');
    expect(jwks.headers.get('etag')).not.toBe(before.headers.get('etag'));
    expect(jwks.headers.get('cache-control')).toBe(`public, max-age=${JWKS_MAX_AGE_S}`);

    const list = await gh.api('GET', '/v1/keys', { token: session.access_token });
    const retired = list.body.keys.find((k: { kid: string }) => k.kid === firstKid);
    expect(retired).toMatchObject({ state: 'retired', published: true });
    expect(Date.parse(retired.published_until) - Date.parse(retired.retired_at)).toBe(86400 * 1000);

    const rows = await gh.sql<{ actor_id: string; target_id: string; details: Record<string, string> }>(
      `SELECT actor_id, target_id, details FROM audit_events WHERE action = 'key.rotated'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ target_id: nextKid, details: { trigger: 'api', retired_kid: firstKid } });
  });

  it('answers If-None-Match with 304 for the current ETag and 200 for a stale one', async () => {
    const now = await gh.api('GET', '/.well-known/jwks.json');
    const etag = now.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const cached = await gh.api('GET', '/.well-known/jwks.json', { headers: { 'if-none-match': etag } });
    expect(cached.status).toBe(304);
    expect(cached.text).toBe('');
    expect(cached.headers.get('etag')).toBe(etag);
    expect(cached.headers.get('cache-control')).toBe(`public, max-age=${JWKS_MAX_AGE_S}`);
    const weak = await gh.api('GET', '/.well-known/jwks.json', { headers: { 'if-none-match': `W/${etag}` } });
    expect(weak.status).toBe(304);
    const stale = await gh.api('GET', '/.well-known/jwks.json', { headers: { 'if-none-match': '"stale"' } });
    expect(stale.status).toBe(200);
  });

  it('emergency revocation of the current key: its tokens fail at once, it leaves the JWKS, next signs', async () => {
    const signedByB = session.access_token;
    expect(kidOf(signedByB)).toBe(nextKid);
    const etag = (await gh.api('GET', '/.well-known/jwks.json')).headers.get('etag');

    const r = await gh.api('POST', `/v1/keys/${nextKid}/revoke`, { token: signedByB });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ kid: nextKid, state: 'revoked', previous_state: 'current', current_kid: thirdKid });

    expect(await me(signedByB)).toBe(401);
    const refused = await gh.api('GET', '/v1/me', { token: signedByB });
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
    await expect(verifyRemotely(gh, signedByB)).rejects.toThrow();
    const kids = await jwksKids(gh);
    expect(kids).not.toContain(nextKid);
    expect(kids).toContain(firstKid); // the retired key still verifies its own tokens
    expect(kids).toHaveLength(3); // retired A, current C, a new next D
    expect((await gh.api('GET', '/.well-known/jwks.json')).headers.get('etag')).not.toBe(etag);

    // the promoted key signs at once; the refresh token (opaque, not signed) still works
    expect(kidOf(await freshToken())).toBe(thirdKid);
    expect(await me(issuedBefore)).toBe(200);

    const again = await gh.api('POST', `/v1/keys/${nextKid}/revoke`, { token: session.access_token });
    expect(again.status).toBe(409);
    const unknown = await gh.api('POST', '/v1/keys/key_01ARZ3NDEKTSV4RRFFQ69G5FAV/revoke', {
      token: session.access_token,
    });
    expect(unknown.status).toBe(404);
    expect((await gh.api('POST', '/v1/keys/nonsense/revoke', { token: session.access_token })).status).toBe(404);
    const audit = await gh.sql(`SELECT 1 FROM audit_events WHERE action = 'key.revoked' AND target_id = $1`, [nextKid]);
    expect(audit).toHaveLength(1);
  });

  it('a retired key leaves the JWKS once the overlap has passed, and its tokens stop verifying', async () => {
    await gh.sql(`UPDATE signing_keys SET retired_at = now() - interval '86401 seconds' WHERE kid = $1`, [firstKid]);
    await gh.app.get(KeyScheduleService).tick();

    expect(await jwksKids(gh)).not.toContain(firstKid);
    expect(await me(issuedBefore)).toBe(401);
    const list = await gh.api('GET', '/v1/keys', { token: session.access_token });
    expect(list.body.keys.find((k: { kid: string }) => k.kid === firstKid)).toMatchObject({
      state: 'expired',
      published: false,
    });
    const audit = await gh.sql(`SELECT 1 FROM audit_events WHERE action = 'key.expired' AND target_id = $1`, [
      firstKid,
    ]);
    expect(audit).toHaveLength(1);
    // no key material is kept for keys that can never sign again
    const [row] = await gh.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM signing_keys WHERE state IN ('retired', 'expired', 'revoked') AND private_key_enc <> ''`,
    );
    expect(row.n).toBe(0);
  });

  it('`gatehouse keys rotate` rotates from the command line; the server signs with the new key after its reload', async () => {
    await ageNextKey(gh);
    const [next] = await gh.sql<{ kid: string }>(`SELECT kid FROM signing_keys WHERE state = 'next'`);
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['keys', 'rotate', '--json'], gh.env, {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
    });
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const result = JSON.parse(out.join('\n'));
    expect(result).toMatchObject({ current_kid: next.kid, retired_kid: thirdKid });

    // the CLI is another process as far as this server knows: its next reload picks it up
    await gh.app.get(SigningKeyService).reload();
    expect(kidOf(await freshToken())).toBe(next.kid);

    // a second rotation at once is refused: the new next key was published a moment ago
    const second: string[] = [];
    expect(await runCli(['keys', 'rotate'], gh.env, { out: () => undefined, err: (t) => second.push(t) })).toBe(1);
    expect(second.join('\n')).toMatch(/has not been published long enough/);
  });

  it('start refuses an overlap shorter than the longest token TTL + JWKS cache lifetime + skew, naming the variable', async () => {
    const err: string[] = [];
    const env = { ...gh.env, GATEHOUSE_KEY_OVERLAP_S: '3600' };
    expect(await runCli(['keys', 'rotate'], env, { out: () => undefined, err: (t) => err.push(t) })).toBe(2);
    expect(err.join('\n')).toMatch(/GATEHOUSE_KEY_OVERLAP_S: must be at least 3990 s/);
  });
});

/** Two instances on one database: exactly one rotates, and both then sign with the new key. */
describe('signing-key rotation across instances', () => {
  let gh: TestGatehouse;
  let second: SecondInstance;
  let client: { client_id: string; client_secret: string };

  const tokenFrom = async (inst: { url: string }): Promise<string> => {
    const basic = Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64');
    const res = await fetch(`${inst.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
    });
    const body = (await res.json()) as { access_token: string };
    expect(res.status).toBe(200);
    return body.access_token;
  };
  const rotations = async () =>
    (await gh.sql<{ n: number }>(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'key.rotated'`))[0].n;
  const currentKids = async () =>
    (await gh.sql<{ kid: string }>(`SELECT kid FROM signing_keys WHERE state = 'current'`)).map((r) => r.kid);

  beforeAll(async () => {
    gh = await startGatehouse();
    second = await startSecondInstance(gh);
    const admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    const org = await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'twins', display_name: 'Twins' } });
    client = (
      await gh.api('POST', `/v1/orgs/${org.body.id}/apps`, {
        token: admin,
        body: { name: 'svc', scopes: ['things:read'] },
      })
    ).body;
  });
  afterAll(async () => {
    await second?.close();
    await gh?.close();
  });

  it('both instances started on the same keys and serve the same JWKS', async () => {
    const [a, b] = await Promise.all([
      gh.api('GET', '/.well-known/jwks.json'),
      second.api('GET', '/.well-known/jwks.json'),
    ]);
    expect(a.body.keys).toHaveLength(2);
    expect(b.headers.get('etag')).toBe(a.headers.get('etag'));
    expect(kidOf(await tokenFrom(second))).toBe(kidOf(await tokenFrom(gh)));
  });

  it('racing on-demand rotations on both instances rotate once; the other is refused', async () => {
    await ageNextKey(gh);
    const [next] = await gh.sql<{ kid: string }>(`SELECT kid FROM signing_keys WHERE state = 'next'`);
    const admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    const before = await rotations();
    const statuses = await Promise.all([
      gh.api('POST', '/v1/keys/rotate', { token: admin }),
      second.api('POST', '/v1/keys/rotate', { token: admin }),
    ]);
    expect(statuses.map((s) => s.status).sort()).toEqual([200, 409]);
    expect(await rotations()).toBe(before + 1);
    expect(await currentKids()).toEqual([next.kid]);
    // each instance reloads after its own attempt, so both sign with the promoted key
    expect(kidOf(await tokenFrom(gh))).toBe(next.kid);
    expect(kidOf(await tokenFrom(second))).toBe(next.kid);
  });

  it('racing scheduled checks rotate exactly once, and the other instance signs with the new key after its reload', async () => {
    // make the rotation due: the current key is past the 30-day period, next is well published
    await gh.sql(`UPDATE signing_keys SET activated_at = activated_at - interval '31 days' WHERE state = 'current'`);
    await ageNextKey(gh);
    const [next] = await gh.sql<{ kid: string }>(`SELECT kid FROM signing_keys WHERE state = 'next'`);
    const [old] = await currentKids();
    const before = await rotations();

    const a = gh.app.get(KeyScheduleService);
    const b = second.app.get(KeyScheduleService);
    await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()]);

    expect(await rotations()).toBe(before + 1);
    expect(await currentKids()).toEqual([next.kid]);
    const [{ n: nextKeys }] = await gh.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM signing_keys WHERE state = 'next'`,
    );
    expect(nextKeys).toBe(1);
    const [row] = await gh.sql<{ details: { trigger: string } }>(
      `SELECT details FROM audit_events WHERE action = 'key.rotated' ORDER BY seq DESC LIMIT 1`,
    );
    expect(row.details.trigger).toBe('schedule');
    // The instance that skipped (lock held) reloaded what was committed at that moment: it
    // may still sign with the old key, which stays published, until its next reload.
    const signers = [gh, second].map((i) => i.app.get(SigningKeyService).currentSigner().kid);
    expect(signers.every((kid) => kid === next.kid || kid === old)).toBe(true);
    await Promise.all([gh, second].map((i) => i.app.get(SigningKeyService).reload()));
    // after its reload each signs with the new key and verifies the other's tokens
    const [fromFirst, fromSecond] = [await tokenFrom(gh), await tokenFrom(second)];
    expect(kidOf(fromFirst)).toBe(next.kid);
    expect(kidOf(fromSecond)).toBe(next.kid);
    await expect(second.app.get(AccessTokenVerifier).verify(fromFirst)).resolves.toMatchObject({ tier: 'app' });
    await expect(gh.app.get(AccessTokenVerifier).verify(fromSecond)).resolves.toMatchObject({ tier: 'app' });
    expect(await jwksKids(second)).toEqual(await jwksKids(gh));
    expect(await jwksKids(gh)).toContain(old);
  });

  it('a rotation made by one instance reaches the other before it answers (key-change NOTIFY); the old key still verifies', async () => {
    await ageNextKey(gh);
    const [next] = await gh.sql<{ kid: string }>(`SELECT kid FROM signing_keys WHERE state = 'next'`);
    const before = await tokenFrom(second);
    // rotate through the service of the first instance only (no request reaches the second)
    await gh.app.get(KeyRotationService).rotate('cli', { requestId: null, sourceIp: null });
    // docs/reliability.md#key-changes: the second reloaded on the notification before rotate() returned
    expect(second.app.get(SigningKeyService).currentSigner().kid).toBe(next.kid);
    expect(kidOf(await tokenFrom(second))).toBe(next.kid);
    expect((await gh.api('GET', '/v1/me', { token: before })).status).toBe(200); // retired, still published
    await expect(second.app.get(AccessTokenVerifier).verify(await tokenFrom(gh))).resolves.toBeTruthy();
    expect(await jwksKids(second)).toEqual(await jwksKids(gh));
  });
});
