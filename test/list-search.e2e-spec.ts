import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

/**
 * Searching and ordering the organization, application and user lists (docs/console.md#search):
 * `?q=` matches name, slug, email (case-insensitively, wildcards taken literally) or the exact
 * ID; `?order=newest` pages newest first; an org admin's search never reaches another org.
 */
describe('list search and order', () => {
  let gh: TestGatehouse;
  let admin: string;
  const orgs: { id: string; name: string }[] = [];
  let appIds: string[];

  const list = async (path: string, token = admin) => {
    const res = await gh.api('GET', path, { token });
    expect(res.status).toBe(200);
    return res.body as { data: Record<string, string>[]; next_cursor: string | null };
  };

  beforeAll(async () => {
    gh = await startGatehouse();
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    for (const [name, display] of [
      ['north-wind', 'Northwind Traders'],
      ['contoso', 'Contoso Ltd'],
      ['fabrikam', 'Fabrikam 100%'],
    ]) {
      const r = await gh.api('POST', '/v1/orgs', { token: admin, body: { name, display_name: display } });
      expect(r.status).toBe(201);
      orgs.push(r.body);
    }
    appIds = [];
    for (const name of ['billing', 'Billing-Export', 'search']) {
      const r = await gh.api('POST', `/v1/orgs/${orgs[0]!.id}/apps`, {
        token: admin,
        body: { name, scopes: ['things:read'] },
      });
      expect(r.status).toBe(201);
      appIds.push(r.body.client_id);
    }
    for (const email of ['ada@north.test', 'grace@north.test', 'Ada.Other@elsewhere.test']) {
      const r = await gh.api('POST', `/v1/orgs/${orgs[0]!.id}/users`, {
        token: admin,
        body: { email, password: 'Long-Enough-Pass-1' },
      });
      expect(r.status).toBe(201);
    }
  });
  afterAll(() => gh?.close());

  it('orders newest first on request, oldest first by default, and pages in that order', async () => {
    expect((await list('/v1/orgs')).data.map((o) => o.name)).toEqual(['north-wind', 'contoso', 'fabrikam']);
    const first = await list('/v1/orgs?order=newest&limit=2');
    expect(first.data.map((o) => o.name)).toEqual(['fabrikam', 'contoso']);
    const second = await list(`/v1/orgs?order=newest&limit=2&cursor=${first.next_cursor}`);
    expect(second.data.map((o) => o.name)).toEqual(['north-wind']);
    expect(second.next_cursor).toBeNull();
  });

  it('searches organizations by slug, display name (any case) or exact ID', async () => {
    expect((await list('/v1/orgs?q=NORTH')).data.map((o) => o.name)).toEqual(['north-wind']);
    expect((await list('/v1/orgs?q=contoso%20ltd')).data.map((o) => o.name)).toEqual(['contoso']);
    expect((await list(`/v1/orgs?q=${orgs[2]!.id}`)).data.map((o) => o.name)).toEqual(['fabrikam']);
    // A LIKE wildcard is a character like any other.
    expect((await list('/v1/orgs?q=%25')).data.map((o) => o.name)).toEqual(['fabrikam']);
    expect((await list('/v1/orgs?q=_')).data).toEqual([]);
    // A part of an ID is not an ID.
    expect((await list(`/v1/orgs?q=${orgs[2]!.id.slice(0, 10)}`)).data).toEqual([]);
  });

  it('searches applications by name or client_id, and users by email or ID, newest first', async () => {
    const apps = await list(`/v1/orgs/${orgs[0]!.id}/apps?q=billing&order=newest`);
    expect(apps.data.map((a) => a.name)).toEqual(['Billing-Export', 'billing']);
    expect((await list(`/v1/orgs/${orgs[0]!.id}/apps?q=${appIds[2]}`)).data.map((a) => a.name)).toEqual(['search']);
    const users = await list(`/v1/orgs/${orgs[0]!.id}/users?q=ADA&order=newest`);
    expect(users.data.map((u) => u.email)).toEqual(['ada.other@elsewhere.test', 'ada@north.test']);
    const id = users.data[1]!.id!;
    expect((await list(`/v1/orgs/${orgs[0]!.id}/users?q=${id}`)).data.map((u) => u.email)).toEqual(['ada@north.test']);
  });

  it("never finds another organization's rows for an org admin", async () => {
    const orgAdmin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: false, orgIds: [orgs[1]!.id] })))
      .access_token;
    expect((await list('/v1/orgs?q=north', orgAdmin)).data).toEqual([]);
    expect((await list(`/v1/orgs?q=${orgs[0]!.id}`, orgAdmin)).data).toEqual([]);
    expect((await list('/v1/orgs?q=contoso', orgAdmin)).data.map((o) => o.name)).toEqual(['contoso']);
  });

  it('refuses a bad order or an over-long query as a validation problem', async () => {
    for (const q of ['order=latest', `q=${'x'.repeat(201)}`]) {
      const res = await gh.api('GET', `/v1/orgs?${q}`, { token: admin });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
  });
});
