import { SigningKeyService } from '@gatehouse/keys';
import { decodeProtectedHeader } from 'jose';
import { cliCreateAdmin, clientPost, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { startSecondInstance, type SecondInstance } from './support/second-instance';

/**
 * docs/reliability.md#key-changes: a rotation or an emergency revocation has reached every
 * other process (here: a second instance on the same database) by the time the request that
 * made it answers — not on the other's next 30 s reload.
 */
describe('key changes reach every instance before the change answers', () => {
  let gh: TestGatehouse;
  let second: SecondInstance;
  let admin: string;
  let client: { client_id: string; client_secret: string };

  const kidsIn = async (url: string) =>
    ((await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map(
      (k) => k.kid,
    );
  const tokenFrom = async (url: string) =>
    (
      (await (await clientPost(url, client, '/oauth/token', { grant_type: 'client_credentials' })).json()) as {
        access_token: string;
      }
    ).access_token;

  beforeAll(async () => {
    gh = await startGatehouse();
    second = await startSecondInstance(gh);
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    const org = await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'twins', display_name: 'Twins' } });
    client = (
      await gh.api('POST', `/v1/orgs/${org.body.id}/apps`, { token: admin, body: { name: 'svc', scopes: ['a'] } })
    ).body;
  });
  afterAll(async () => {
    await second?.close();
    await gh?.close();
  });

  it('after a rotation answers, the other instance already signs with the new key', async () => {
    await gh.sql(`UPDATE signing_keys SET created_at = created_at - interval '1 day' WHERE state = 'next'`);
    const rotated = await gh.api('POST', '/v1/keys/rotate', { token: admin });
    expect(rotated.status).toBe(200);
    expect(second.app.get(SigningKeyService).currentSigner().kid).toBe(rotated.body.current_kid);
    expect(decodeProtectedHeader(await tokenFrom(second.url)).kid).toBe(rotated.body.current_kid);
    expect(await kidsIn(second.url)).toContain(rotated.body.next_kid);
  });

  it('after a revocation answers, the other instance neither publishes the key nor accepts its tokens', async () => {
    const signedBefore = await tokenFrom(second.url);
    const kid = decodeProtectedHeader(signedBefore).kid!;
    const revoked = await gh.api('POST', `/v1/keys/${kid}/revoke`, { token: admin });
    expect(revoked.status).toBe(200);
    // No waiting: the answer came after every listening process confirmed the reload.
    expect(await kidsIn(second.url)).not.toContain(kid);
    expect(await second.app.get(SigningKeyService).verificationKey(kid)).toBeNull();
    expect(second.app.get(SigningKeyService).currentSigner().kid).toBe(revoked.body.current_kid);
    expect(decodeProtectedHeader(await tokenFrom(second.url)).kid).toBe(revoked.body.current_kid);
  });
});
