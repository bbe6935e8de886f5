import { clientPost, cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { signJwt, testKey } from './support/jose-keys';

type App = { client_id: string; client_secret: string };

/**
 * The token inspector tells an org administrator nothing about tokens it cannot see
 * (docs/console.md#token-inspector): another org's genuine token answers exactly like a
 * forged, tampered, foreign-key-signed or malformed one — same status, same body — while
 * its own org's tokens are inspected, and a platform administrator still sees why a token
 * is invalid.
 */
describe('token inspector: another org is indistinguishable from invalid', () => {
  let gh: TestGatehouse;
  let platform: string;
  let orgAdmin: string;
  let mine: App;
  let theirs: App;

  const appToken = async (app: App) =>
    (
      (await (await clientPost(gh.url, app, '/oauth/token', { grant_type: 'client_credentials' })).json()) as {
        access_token: string;
      }
    ).access_token;
  const inspect = (token: string, as: string) => gh.api('POST', '/v1/tokens/inspect', { token: as, body: { token } });

  beforeAll(async () => {
    gh = await startGatehouse();
    platform = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    const mkOrg = async (name: string) =>
      (await gh.api('POST', '/v1/orgs', { token: platform, body: { name, display_name: name } })).body.id as string;
    const a = await mkOrg('inspect-own');
    const b = await mkOrg('inspect-other');
    const mkApp = async (orgId: string) =>
      (await gh.api('POST', `/v1/orgs/${orgId}/apps`, { token: platform, body: { name: 'svc', scopes: ['x:read'] } }))
        .body as App;
    mine = await mkApp(a);
    theirs = await mkApp(b);
    orgAdmin = (await loginAdmin(gh, await cliCreateAdmin(gh, { orgIds: [a] }))).access_token;
  });
  afterAll(() => gh?.close());

  it("answers another org's genuine token exactly like a forged or malformed one", async () => {
    const genuine = await appToken(theirs);
    const [h, p, sig] = genuine.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, scope: 'x:read admin' })).toString('base64url')}.${sig}`;
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
    const foreignKey = signJwt(testKey('RS256'), claims, { kid: header.kid, typ: 'at+jwt' });
    const answers = await Promise.all(
      [genuine, platform, tampered, foreignKey, 'garbage', `${h}.${p}.`].map((t) => inspect(t, orgAdmin)),
    );
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.text).toBe(answers[0].text);
    }
    expect(answers[0].body).toEqual({
      valid: false,
      error: 'The token is not valid, or it belongs to an organization you cannot see.',
    });

    // Its own org's token is inspected; a platform admin still learns why a token is invalid.
    const own = await inspect(await appToken(mine), orgAdmin);
    expect(own.body).toMatchObject({ valid: true, claims: { sub: mine.client_id } });
    expect((await inspect(tampered, platform)).body).toEqual({
      valid: false,
      error: 'The token signature is invalid.',
    });
    expect((await inspect(genuine, platform)).body).toMatchObject({ valid: true });
  });
});
