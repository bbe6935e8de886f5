import { ResourceLookup } from '@gatehouse/oauth';
import { decodeJwt } from 'jose';
import {
  clientPost,
  cliCreateAdmin,
  loginAdmin,
  runGatehouseCli,
  startGatehouse,
  type TestGatehouse,
} from './support/gatehouse';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
type App = { client_id: string; client_secret: string };

/**
 * Registered resources (docs/resources.md): the management API and its rules, the CLI, apps'
 * audiences naming resources, and RFC 8707 at the token endpoint for every grant — one audience,
 * the scope rule, the lifetime cap, narrowing only, invalid_target for unknown or foreign ones.
 */
describe('registered resources', () => {
  let gh: TestGatehouse;
  let admin: string;
  let acmeAdmin: string;
  let acme: { id: string };
  let globex: { id: string };
  const MCP = 'https://mcp.acme.test/mcp';
  const API = 'https://api.acme.test';
  const FOREIGN = 'https://api.globex.test';

  const token = (client: App, params: Record<string, string | string[]>) => {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const x of [v].flat()) body.append(k, x);
    return clientPost(gh.url, client, '/oauth/token', Object.fromEntries(body)).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as Record<string, string>,
    }));
  };
  const exchange = (client: App, params: Record<string, string>) =>
    fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: EXCHANGE, subject_token_type: AT, step: 'summarise', ...params }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, string> }));
  const refresh = (params: Record<string, string>) =>
    fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', ...params }).toString(),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, string> }));
  const mkResource = (orgId: string, body: Record<string, unknown>, as = admin) =>
    gh.api('POST', `/v1/orgs/${orgId}/resources`, { token: as, body });
  const mkApp = async (orgId: string, body: Record<string, unknown>) => {
    const r = await gh.api('POST', `/v1/orgs/${orgId}/apps`, { token: admin, body: { password_login: true, ...body } });
    expect(r.status).toBe(201);
    return r.body as App & { id: string };
  };
  const auditOf = (action: string, targetId: string) =>
    gh.sql<{ actor_id: string; org_id: string; details: Record<string, unknown> }>(
      `SELECT actor_id, org_id, details FROM audit_events WHERE action = $1 AND target_id = $2 ORDER BY chain_seq`,
      [action, targetId],
    );

  beforeAll(async () => {
    gh = await startGatehouse();
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    acme = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    globex = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'globex', display_name: 'Globex' } }))
      .body;
    acmeAdmin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: false, orgIds: [acme.id] }))).access_token;
  });
  afterAll(() => gh?.close());

  describe('the management API', () => {
    let mcp: { id: string };

    it('creates, reads, lists and updates a resource, with an audit row for each change', async () => {
      const created = await mkResource(acme.id, {
        identifier: MCP,
        name: 'Acme notes (MCP)',
        scopes: [
          { name: 'notes:read', description: 'Read your notes' },
          { name: 'notes:write', description: 'Change your notes' },
        ],
        token_ttl_s: 300,
      });
      expect(created.status).toBe(201);
      mcp = created.body;
      expect(created.body).toEqual({
        id: expect.stringMatching(/^res_[0-9A-HJKMNP-TV-Z]{26}$/),
        org_id: acme.id,
        identifier: MCP,
        name: 'Acme notes (MCP)',
        scopes: [
          { name: 'notes:read', description: 'Read your notes' },
          { name: 'notes:write', description: 'Change your notes' },
        ],
        token_ttl_s: 300,
        legacy: false,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      expect((await gh.api('GET', `/v1/orgs/${acme.id}/resources/${mcp.id}`, { token: acmeAdmin })).body).toEqual(
        created.body,
      );
      const list = await gh.api('GET', `/v1/orgs/${acme.id}/resources`, { token: admin });
      expect(list.body).toEqual({ data: [created.body], next_cursor: null });

      const patched = await gh.api('PATCH', `/v1/orgs/${acme.id}/resources/${mcp.id}`, {
        token: acmeAdmin,
        body: {
          identifier: MCP, // unchanged: accepted
          name: 'Acme notes',
          scopes: [
            { name: 'notes:read', description: 'Read your notes' },
            { name: 'notes:write', description: 'Change your notes' },
            { name: 'notes:share' },
          ],
        },
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ name: 'Acme notes', token_ttl_s: 300 });
      expect(patched.body.scopes[2]).toEqual({ name: 'notes:share', description: '' });

      const [row] = await auditOf('resource.created', mcp.id);
      expect(row).toMatchObject({
        org_id: acme.id,
        details: { identifier: MCP, name: 'Acme notes (MCP)', scopes: ['notes:read', 'notes:write'], token_ttl_s: 300 },
      });
      const [upd] = await auditOf('resource.updated', mcp.id);
      expect(upd.details).toMatchObject({
        identifier: MCP,
        changed: ['name', 'scopes'],
        scopes: { added: ['notes:share'], removed: [] },
      });
    });

    it('refuses identifiers the rule does not accept, naming why (docs/resources.md#identifiers)', async () => {
      const cases: [string, RegExp][] = [
        ['http://mcp.acme.test/mcp', /loopback host only/],
        ['https://mcp.acme.test/mcp#x', /fragment/],
        ['https://bob@mcp.acme.test/mcp', /userinfo/],
        ['https://mcp.acme.test/a/../mcp', /path segments/],
        ['https://MCP.acme.test:443/mcp', /canonical form: https:\/\/mcp\.acme\.test\/mcp/],
        ['urn:acme:notes', /https URI/],
      ];
      for (const [identifier, why] of cases) {
        const r = await mkResource(acme.id, { identifier, name: 'x' });
        expect({ status: r.status, code: r.body.code, path: r.body.errors?.[0]?.path }).toEqual({
          status: 400,
          code: 'validation_failed',
          path: 'identifier',
        });
        expect(r.body.errors[0].message).toMatch(why);
      }
      const dup = await mkResource(acme.id, { identifier: API, name: 'x', scopes: [{ name: 'a' }, { name: 'a' }] });
      expect(dup.status).toBe(400);
      expect(dup.body.detail).toMatch(/must not repeat a scope/);
      const unknown = await mkResource(acme.id, { identifier: API, name: 'x', audience: 'x' });
      expect(unknown.body.detail).toMatch(/unknown field/);
      const rename = await gh.api('PATCH', `/v1/orgs/${acme.id}/resources/${mcp.id}`, {
        token: admin,
        body: { identifier: 'https://other.acme.test' },
      });
      expect({ status: rename.status, detail: rename.body.detail }).toEqual({
        status: 400,
        detail: expect.stringMatching(/^identifier: cannot change/),
      });
    });

    it('an identifier names one resource across the platform; another org cannot see or reach it', async () => {
      const taken = await mkResource(globex.id, { identifier: MCP, name: 'copy' });
      expect({ status: taken.status, code: taken.body.code }).toEqual({ status: 409, code: 'conflict' });
      expect(taken.body.detail).not.toContain(acme.id);
      expect((await mkResource(globex.id, { identifier: FOREIGN, name: 'Globex API' })).status).toBe(201);
      // An org admin of acme: globex is not found, and acme's resource is not found under globex.
      expect((await gh.api('GET', `/v1/orgs/${globex.id}/resources`, { token: acmeAdmin })).status).toBe(404);
      expect((await mkResource(globex.id, { identifier: 'https://x.test', name: 'x' }, acmeAdmin)).status).toBe(404);
      expect((await gh.api('GET', `/v1/orgs/${globex.id}/resources/${mcp.id}`, { token: admin })).status).toBe(404);
      expect((await gh.api('DELETE', `/v1/orgs/${globex.id}/resources/${mcp.id}`, { token: admin })).status).toBe(404);
      expect((await gh.api('GET', `/v1/orgs/${acme.id}/resources/res_nope`, { token: admin })).status).toBe(404);
      // Only administrators manage resources.
      const app = await mkApp(acme.id, { name: 'probe', scopes: ['x'] });
      const appToken = (await token(app, { grant_type: 'client_credentials' })).body.access_token;
      expect((await gh.api('GET', `/v1/orgs/${acme.id}/resources`, { token: appToken })).status).toBe(403);
    });

    it("an app's audiences must be registered resources of its own org (400 otherwise)", async () => {
      const unregistered = await gh.api('POST', `/v1/orgs/${acme.id}/apps`, {
        token: admin,
        body: { name: 'bad', scopes: ['notes:read'], audiences: [MCP, 'https://unregistered.acme.test'] },
      });
      expect(unregistered.status).toBe(400);
      expect(unregistered.body).toMatchObject({
        code: 'validation_failed',
        errors: [{ path: 'audiences[1]', message: expect.stringMatching(/not a registered resource/) }],
      });
      const foreign = await gh.api('POST', `/v1/orgs/${acme.id}/apps`, {
        token: admin,
        body: { name: 'bad', scopes: ['notes:read'], audiences: [FOREIGN] },
      });
      expect(foreign.status).toBe(400);
      const app = await mkApp(acme.id, { name: 'ok', scopes: ['notes:read'], audiences: [MCP] });
      const patch = await gh.api('PATCH', `/v1/orgs/${acme.id}/apps/${app.client_id}`, {
        token: admin,
        body: { audiences: [FOREIGN] },
      });
      expect(patch.status).toBe(400);
      await gh.api('DELETE', `/v1/orgs/${acme.id}/apps/${app.client_id}`, { token: admin });
    });

    it('a resource apps still name cannot be deleted (409 naming them); once free it can', async () => {
      const api = (await mkResource(acme.id, { identifier: API, name: 'Acme API', scopes: [{ name: 'x' }] })).body;
      const app = await mkApp(acme.id, { name: 'api-client', scopes: ['x'], audiences: [API] });
      const refused = await gh.api('DELETE', `/v1/orgs/${acme.id}/resources/${api.id}`, { token: admin });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'resource_in_use', applications: [app.client_id] });
      await gh.api('PATCH', `/v1/orgs/${acme.id}/apps/${app.client_id}`, { token: admin, body: { audiences: [] } });
      expect((await gh.api('DELETE', `/v1/orgs/${acme.id}/resources/${api.id}`, { token: admin })).status).toBe(204);
      expect(await auditOf('resource.deleted', api.id)).toEqual([
        expect.objectContaining({ details: { identifier: API } }),
      ]);
      await gh.api('DELETE', `/v1/orgs/${acme.id}/apps/${app.client_id}`, { token: admin });
    });

    it('is in the OpenAPI document', async () => {
      const doc = (await gh.api('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
      expect(Object.keys(doc.paths['/v1/orgs/{orgId}/resources']).sort()).toEqual(['get', 'post']);
      expect(Object.keys(doc.paths['/v1/orgs/{orgId}/resources/{resourceId}']).sort()).toEqual([
        'delete',
        'get',
        'patch',
      ]);
      expect(Object.keys(doc.paths['/v1/orgs/{orgId}/client-registration']).sort()).toEqual(['get', 'put']);
    });

    it('the sign-in lookup finds the org, the scopes and their descriptions by identifier', async () => {
      const lookup = gh.app.get(ResourceLookup);
      expect(await lookup.byIdentifier(MCP)).toMatchObject({
        orgId: acme.id,
        orgName: 'acme',
        name: 'Acme notes',
        scopes: ['notes:read', 'notes:write', 'notes:share'],
        scopeDescriptions: [
          { name: 'notes:read', description: 'Read your notes' },
          { name: 'notes:write', description: 'Change your notes' },
          { name: 'notes:share', description: 'notes:share' },
        ],
        tokenTtlS: 300,
      });
      expect(await lookup.byIdentifier(`${MCP}/`)).toBeNull();
      expect(await lookup.inOrg(globex.id, MCP)).toBeNull();
    });
  });

  describe('RFC 8707 at the token endpoint', () => {
    let agent: App & { id: string };
    let mcpResource: { id: string };

    beforeAll(async () => {
      mcpResource = (await gh.api('GET', `/v1/orgs/${acme.id}/resources`, { token: admin })).body.data.find(
        (r: { identifier: string }) => r.identifier === MCP,
      );
      await mkResource(acme.id, { identifier: API, name: 'Acme API', scopes: [{ name: 'invoices:read' }] });
      agent = await mkApp(acme.id, {
        name: 'agent',
        scopes: ['notes:read', 'notes:write', 'invoices:read', 'gatehouse:revocations'],
        audiences: [MCP, API],
        token_ttl_s: 900,
      });
    });

    it('client credentials: the resource is the one audience, its declared scopes only, its lifetime cap', async () => {
      const r = await token(agent, { grant_type: 'client_credentials', resource: MCP });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ scope: 'notes:read notes:write', expires_in: 300 });
      const claims = decodeJwt(r.body.access_token);
      expect(claims.aud).toBe(MCP);
      expect(claims.exp! - claims.iat!).toBe(300);
      const narrowed = await token(agent, { grant_type: 'client_credentials', resource: MCP, scope: 'notes:read' });
      expect(narrowed.body.scope).toBe('notes:read');
      // No resource: the default audience and every scope of the app, as before.
      const plain = await token(agent, { grant_type: 'client_credentials' });
      expect(decodeJwt(plain.body.access_token)).toMatchObject({
        aud: gh.url,
        scope: 'notes:read notes:write invoices:read gatehouse:revocations',
      });
      expect(plain.body.expires_in).toBe(900);
      const [row] = await gh.sql<{ details: Record<string, unknown> }>(
        `SELECT details FROM audit_events WHERE action = 'token.issued' AND jti = $1`,
        [claims.jti],
      );
      expect(row.details).toMatchObject({ aud: MCP, scope: 'notes:read notes:write' });
    });

    it('a held scope the resource does not declare is invalid_scope, naming the resource', async () => {
      const r = await token(agent, {
        grant_type: 'client_credentials',
        resource: MCP,
        scope: 'notes:read invoices:read',
      });
      expect(r).toEqual({
        status: 400,
        body: { error: 'invalid_scope', error_description: `Not a scope of the resource ${MCP}: invoices:read` },
      });
    });

    it('unknown, foreign, not-held and respelled resources are invalid_target alike', async () => {
      const other = await mkApp(acme.id, { name: 'no-mcp', scopes: ['invoices:read'], audiences: [API] });
      const answers = [
        await token(agent, { grant_type: 'client_credentials', resource: 'https://unknown.acme.test' }),
        await token(agent, { grant_type: 'client_credentials', resource: FOREIGN }),
        await token(agent, { grant_type: 'client_credentials', resource: `${MCP}/` }),
        await token(other, { grant_type: 'client_credentials', resource: MCP }),
      ];
      for (const a of answers) {
        expect(a).toEqual({
          status: 400,
          body: { error: 'invalid_target', error_description: 'This client may not request tokens for that resource.' },
        });
      }
    });

    it('a change to the resource reaches the next token at once (the client cache listens)', async () => {
      await gh.api('PATCH', `/v1/orgs/${acme.id}/resources/${mcpResource.id}`, {
        token: admin,
        body: { scopes: [{ name: 'notes:read' }], token_ttl_s: 120 },
      });
      const r = await token(agent, { grant_type: 'client_credentials', resource: MCP });
      expect(r.body).toMatchObject({ scope: 'notes:read', expires_in: 120 });
      await gh.api('PATCH', `/v1/orgs/${acme.id}/resources/${mcpResource.id}`, {
        token: admin,
        body: { scopes: [{ name: 'notes:read' }, { name: 'notes:write' }], token_ttl_s: null },
      });
      const back = await token(agent, { grant_type: 'client_credentials', resource: MCP });
      expect(back.body).toMatchObject({ scope: 'notes:read notes:write', expires_in: 900 });
    });

    it('refresh: a resource of the app narrows a session that named none; a bound session only narrows', async () => {
      const web = await mkApp(acme.id, { name: 'web', scopes: ['notes:read', 'invoices:read'], audiences: [MCP, API] });
      await gh.api('POST', `/v1/orgs/${acme.id}/users`, {
        token: admin,
        body: { email: 'dana@acme.test', password: 'User-Strong-Pass-42' },
      });
      const login = await gh.api('POST', `/v1/orgs/${acme.id}/users/login`, {
        body: { client_id: web.client_id, email: 'dana@acme.test', password: 'User-Strong-Pass-42' },
      });
      let rt = login.body.refresh_token as string;
      const forMcp = await refresh({ refresh_token: rt, client_id: web.client_id, resource: MCP });
      expect(forMcp.status).toBe(200);
      expect(decodeJwt(forMcp.body.access_token)).toMatchObject({ aud: MCP, scope: 'notes:read', tier: 'user' });
      rt = forMcp.body.refresh_token;
      // A refused resource does not spend the token.
      const refused = await refresh({ refresh_token: rt, client_id: web.client_id, resource: FOREIGN });
      expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
      const plain = await refresh({ refresh_token: rt, client_id: web.client_id });
      expect(decodeJwt(plain.body.access_token)).toMatchObject({ aud: gh.url, scope: 'notes:read invoices:read' });
      rt = plain.body.refresh_token;

      // A session granted for one resource (as the authorization code grant records it).
      await gh.sql(
        `UPDATE refresh_families SET resources = $1 WHERE id = (SELECT family_id FROM refresh_tokens WHERE used_at IS NULL ORDER BY created_at DESC LIMIT 1)`,
        [[MCP]],
      );
      const inherited = await refresh({ refresh_token: rt, client_id: web.client_id });
      expect(decodeJwt(inherited.body.access_token).aud).toBe(MCP);
      rt = inherited.body.refresh_token;
      const widened = await refresh({ refresh_token: rt, client_id: web.client_id, resource: API });
      expect(widened).toEqual({
        status: 400,
        body: { error: 'invalid_target', error_description: 'The resource can only narrow what was granted.' },
      });
      const same = await refresh({ refresh_token: rt, client_id: web.client_id, resource: MCP });
      expect(same.status).toBe(200);
      const [row] = await gh.sql<{ details: Record<string, unknown> }>(
        `SELECT details FROM audit_events WHERE action = 'token.refreshed' AND jti = $1`,
        [decodeJwt(same.body.access_token).jti],
      );
      expect(row.details).toMatchObject({ aud: MCP, scope: 'notes:read' });
    });

    it('token exchange: `audience` names a resource like `resource`; a step token for it obeys its cap', async () => {
      await gh.api('PATCH', `/v1/orgs/${acme.id}/resources/${mcpResource.id}`, {
        token: admin,
        body: { token_ttl_s: 60 },
      });
      const specialist = await mkApp(acme.id, {
        name: 'specialist',
        scopes: ['notes:read'],
        audiences: [MCP],
        grant_types: ['client_credentials', EXCHANGE],
      });
      await gh.api('PATCH', `/v1/orgs/${acme.id}/apps/${agent.client_id}`, {
        token: admin,
        body: { delegates: [specialist.client_id] },
      });
      const root = (await token(agent, { grant_type: 'client_credentials' })).body.access_token;
      const step = await exchange(specialist, { subject_token: root, audience: MCP });
      expect(step.status).toBe(200);
      const claims = decodeJwt(step.body.access_token);
      expect(claims).toMatchObject({ aud: MCP, scope: 'notes:read', step: 'summarise' });
      expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(60);
      const foreign = await exchange(specialist, { subject_token: root, audience: FOREIGN });
      expect(foreign).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
      const both = await exchange(specialist, { subject_token: root, audience: MCP, resource: API });
      expect(both).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
      // A token for the MCP resource exchanged without naming one keeps its audience.
      const forMcp = (await token(agent, { grant_type: 'client_credentials', resource: MCP })).body.access_token;
      const kept = await exchange(specialist, { subject_token: forMcp });
      expect(decodeJwt(kept.body.access_token).aud).toBe(MCP);
    });
  });

  describe('the CLI', () => {
    it('creates, lists and deletes resources with the API rules, audited as the cli', async () => {
      const run = (args: string[]) => runGatehouseCli(gh, args);
      const created = await run([
        'resources',
        'create',
        '--org',
        globex.id,
        '--identifier',
        'https://mcp.globex.test/mcp',
        '--name',
        'Globex MCP',
        '--scope',
        'tools:call=Call the tools',
        '--scope',
        'tools:admin',
        '--token-ttl',
        '600',
        '--json',
      ]);
      expect(created.code).toBe(0);
      const resource = JSON.parse(created.out.join('\n'));
      expect(resource).toMatchObject({
        id: expect.stringMatching(/^res_/),
        identifier: 'https://mcp.globex.test/mcp',
        scopes: [
          { name: 'tools:call', description: 'Call the tools' },
          { name: 'tools:admin', description: '' },
        ],
        token_ttl_s: 600,
      });
      const bad = await run([
        'resources',
        'create',
        '--org',
        globex.id,
        '--identifier',
        'http://x.test/',
        '--name',
        'x',
      ]);
      expect(bad.code).toBe(1);
      expect(bad.err.join('\n')).toMatch(/identifier: http is allowed on a loopback host only/);
      const list = await run(['resources', 'list', '--org', globex.id]);
      expect(list.out.join('\n')).toMatch(
        /https:\/\/mcp\.globex\.test\/mcp\s+Globex MCP\s+tools:call tools:admin ttl 600s/,
      );
      const listed = JSON.parse((await run(['resources', 'list', '--org', globex.id, '--json'])).out.join('\n'));
      expect(listed.map((r: { identifier: string }) => r.identifier).sort()).toEqual([
        FOREIGN,
        'https://mcp.globex.test/mcp',
      ]);
      expect((await run(['resources', 'delete', '--org', globex.id, '--id', resource.id])).code).toBe(0);
      expect((await run(['resources', 'delete', '--org', globex.id, '--id', resource.id])).code).toBe(1);
      expect(await auditOf('resource.created', resource.id)).toEqual([
        expect.objectContaining({ actor_id: 'cli', org_id: globex.id }),
      ]);
      expect((await run(['resources', 'list'])).code).toBe(2);
    });
  });

  describe('client registration policy', () => {
    const path = () => `/v1/orgs/${acme.id}/client-registration`;

    it('defaults to dynamic registration off and metadata documents from any host', async () => {
      const r = await gh.api('GET', path(), { token: acmeAdmin });
      expect(r.body).toEqual({
        dynamic_client_registration: { enabled: false, confidential_clients: false },
        client_id_metadata_documents: { policy: 'any', domains: [] },
      });
    });

    it('a PUT replaces the policy, validated and audited; another org is not found', async () => {
      const body = {
        dynamic_client_registration: { enabled: true, confidential_clients: false },
        client_id_metadata_documents: { policy: 'domains', domains: ['agents.example', '*.clients.example'] },
      };
      const put = await gh.api('PUT', path(), { token: acmeAdmin, body });
      expect(put).toMatchObject({ status: 200, body });
      expect((await gh.api('GET', path(), { token: admin })).body).toEqual(body);
      const [row] = await gh.sql<{ details: Record<string, unknown> }>(
        `SELECT details FROM audit_events WHERE action = 'org.client_registration.changed' AND org_id = $1`,
        [acme.id],
      );
      expect(row.details).toMatchObject({
        dynamic_client_registration: true,
        confidential_clients: false,
        client_id_metadata_documents: 'domains',
        domains: ['agents.example', '*.clients.example'],
        previous: {
          dynamic_client_registration: false,
          confidential_clients: false,
          client_id_metadata_documents: 'any',
          domains: [],
        },
      });
      for (const bad of [
        { ...body, client_id_metadata_documents: { policy: 'domains', domains: [] } },
        { ...body, client_id_metadata_documents: { policy: 'domains', domains: ['Agents.Example'] } },
        { ...body, client_id_metadata_documents: { policy: 'some' } },
        { client_id_metadata_documents: { policy: 'any' } },
      ]) {
        expect((await gh.api('PUT', path(), { token: admin, body: bad })).body.code).toBe('validation_failed');
      }
      const off = { dynamic_client_registration: { enabled: false }, client_id_metadata_documents: { policy: 'off' } };
      expect((await gh.api('PUT', path(), { token: admin, body: off })).body).toEqual({
        dynamic_client_registration: { enabled: false, confidential_clients: false },
        client_id_metadata_documents: { policy: 'off', domains: [] },
      });
      expect((await gh.api('GET', `/v1/orgs/${globex.id}/client-registration`, { token: acmeAdmin })).status).toBe(404);
    });
  });
});
