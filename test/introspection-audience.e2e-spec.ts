import { clientPost, cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

type App = { client_id: string; client_secret: string };
type Body = Record<string, unknown>;

/**
 * Who may introspect an audience-bound token (docs/resources.md#introspection): the client it
 * was issued to and the resource's own apps (the org's apps naming the resource in their
 * `audiences`) get the true answer; every other app, in the org or not, gets exactly
 * `{"active": false}`. A token for the default audience stays introspectable by every app of
 * its org.
 */
describe('introspection of an audience-bound token', () => {
  let gh: TestGatehouse;
  let client: App; // asks for tokens for the resource
  let resourceServer: App; // the resource's own app
  let bystander: App; // same org, other audience
  let foreign: App; // another org
  const API = 'https://api.acme.test';

  const introspect = async (as: App, token: string) => {
    const r = await clientPost(gh.url, as, '/oauth/introspect', { token });
    expect(r.status).toBe(200);
    return (await r.json()) as Body;
  };
  const tokenFor = async (app: App, params: Record<string, string> = {}) => {
    const r = await clientPost(gh.url, app, '/oauth/token', { grant_type: 'client_credentials', ...params });
    const body = (await r.json()) as Body;
    expect(r.status).toBe(200);
    return body.access_token as string;
  };

  beforeAll(async () => {
    gh = await startGatehouse();
    const admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    const mkOrg = async (name: string) =>
      (await gh.api('POST', '/v1/orgs', { token: admin, body: { name, display_name: name } })).body.id as string;
    const acme = await mkOrg('acme');
    const globex = await mkOrg('globex');
    const res = await gh.api('POST', `/v1/orgs/${acme}/resources`, {
      token: admin,
      body: { identifier: API, name: 'Acme API', scopes: [{ name: 'invoices:read', description: 'Read invoices' }] },
    });
    expect(res.status).toBe(201);
    const mkApp = async (orgId: string, name: string, audiences: string[] = []) =>
      (
        await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
          token: admin,
          body: { name, scopes: ['invoices:read'], audiences },
        })
      ).body as App;
    client = await mkApp(acme, 'client', [API]);
    resourceServer = await mkApp(acme, 'api-server', [API]);
    bystander = await mkApp(acme, 'bystander');
    foreign = await mkApp(globex, 'foreign');
  });
  afterAll(() => gh?.close());

  it('answers the client and the resource truly, everyone else inactive', async () => {
    const bound = await tokenFor(client, { resource: API });
    for (const as of [client, resourceServer]) {
      expect(await introspect(as, bound)).toMatchObject({
        active: true,
        aud: API,
        client_id: client.client_id,
        scope: 'invoices:read',
        token_type: 'Bearer',
      });
    }
    for (const as of [bystander, foreign]) expect(await introspect(as, bound)).toEqual({ active: false });

    // Revoked, it is inactive for the client and the resource too.
    expect((await clientPost(gh.url, client, '/oauth/revoke', { token: bound })).status).toBe(200);
    for (const as of [client, resourceServer]) expect(await introspect(as, bound)).toEqual({ active: false });

    // The default audience is unchanged: any app of the org, no other org.
    const plain = await tokenFor(client);
    expect(await introspect(bystander, plain)).toMatchObject({ active: true, client_id: client.client_id });
    expect(await introspect(foreign, plain)).toEqual({ active: false });

    const [row] = await gh.sql<{ reason: string }>(
      `SELECT reason FROM audit_events WHERE action = 'token.introspected' AND actor_id = $1 ORDER BY seq LIMIT 1`,
      [bystander.client_id],
    );
    expect(row.reason).toBe('token for another audience');
  });
});
