import { z } from 'zod';
import { RESPONSES, type ResponseSchemaName } from '../apps/gatehouse/src/http/response-schemas';
import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

/**
 * The answer shapes the OpenAPI document declares, and the console's generated types follow
 * (docs/console.md#api-types), are the shapes the server really sends: every named schema
 * parses a real answer, and no answer carries a field its schema does not name.
 */
describe('management API answers match their declared shapes', () => {
  let gh: TestGatehouse;
  let admin: string;
  const get = async (path: string) => {
    const r = await gh.api('GET', path, { token: admin });
    expect(r.status).toBe(200);
    return r.body as unknown;
  };

  /** Parses `body` with the named schema, and lists fields the schema does not name, at any depth of objects. */
  function expectShape(name: ResponseSchemaName, body: unknown) {
    const schema: z.ZodType = RESPONSES[name];
    const parsed = schema.safeParse(body);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    const json = z.toJSONSchema(schema, { io: 'output' }) as Record<string, unknown>;
    expect(unnamed(json, body, name)).toEqual([]);
  }

  beforeAll(async () => {
    gh = await startGatehouse();
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
  });
  afterAll(() => gh?.close());

  it('orgs, apps, secrets, users, resources, keys, the audit log and self-registered clients', async () => {
    const api = (m: string, p: string, body?: unknown) => gh.api(m, p, { token: admin, body });
    const org = (await api('POST', '/v1/orgs', { name: 'shapes', display_name: 'Shapes' })).body;
    const resource = (
      await api('POST', `/v1/orgs/${org.id}/resources`, {
        identifier: 'https://api.shapes.test',
        name: 'API',
        scopes: [{ name: 'read', description: 'Read' }],
      })
    ).body;
    const app = (await api('POST', `/v1/orgs/${org.id}/apps`, { name: 'app', scopes: ['read'] })).body;
    await api('POST', `/v1/orgs/${org.id}/users`, { email: 'ada@shapes.test', password: 'Lovelace-Analytical-1843' });

    expectShape('Org', await get(`/v1/orgs/${org.id}`));
    expectShape('OrgPage', await get('/v1/orgs'));
    expectShape('App', await get(`/v1/orgs/${org.id}/apps/${app.id}`));
    expectShape('AppPage', await get(`/v1/orgs/${org.id}/apps`));
    for (const s of ((await get(`/v1/orgs/${org.id}/apps/${app.id}/secrets`)) as { data: unknown[] }).data)
      expectShape('Secret', s);
    const users = (await get(`/v1/orgs/${org.id}/users`)) as { data: { id: string }[] };
    expectShape('UserPage', users);
    expectShape('User', await get(`/v1/orgs/${org.id}/users/${users.data[0]!.id}`));
    expectShape('Resource', await get(`/v1/orgs/${org.id}/resources/${resource.id}`));
    expectShape('KeyList', await get('/v1/keys'));
    expectShape('AuditEventPage', await get('/v1/audit'));
    expectShape('ExternalClientList', await get(`/v1/orgs/${org.id}/client-registration/clients`));
  });
});

/** Paths of `body`'s object fields that the JSON Schema's `properties` do not name. */
function unnamed(schema: Record<string, unknown>, body: unknown, at: string): string[] {
  if (body === null || typeof body !== 'object') return [];
  const variants = (schema.anyOf ?? schema.oneOf) as Record<string, unknown>[] | undefined;
  if (variants) {
    const found = variants.map((v) => unnamed(v, body, at));
    return found.find((f) => f.length === 0) ?? found[0]!;
  }
  if (Array.isArray(body)) {
    const items = schema.items as Record<string, unknown> | undefined;
    return items ? body.flatMap((b, i) => unnamed(items, b, `${at}[${i}]`)) : [];
  }
  const props = schema.properties as Record<string, Record<string, unknown>> | undefined;
  if (!props) return [];
  return Object.entries(body).flatMap(([k, v]) => (k in props ? unnamed(props[k]!, v, `${at}.${k}`) : [`${at}.${k}`]));
}
