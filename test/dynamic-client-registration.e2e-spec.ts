import { registerClient as registerClientV2 } from '@modelcontextprotocol/client';
import { discoverAuthorizationServerMetadata, registerClient } from '@modelcontextprotocol/sdk/client/auth.js';
import { ClientRefused, ClientResolver } from '@gatehouse/oauth';
import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

/** RFC 7591 registration and RFC 7592 read/delete (docs/client-registration.md#dynamic-client-registration). */
describe('dynamic client registration', () => {
  let gh: TestGatehouse;
  let admin: string;
  let open: { id: string };
  let closed: { id: string };
  const meta = { requestId: 'req_dcr_test', sourceIp: '127.0.0.1' };
  const register = (body: unknown, headers: Record<string, string> = {}) =>
    gh.api('POST', '/oauth/register', { body, headers });
  const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });
  const policy = (orgId: string, dcr: { enabled: boolean; confidential_clients?: boolean }) =>
    gh.api('PUT', `/v1/orgs/${orgId}/client-registration`, {
      token: admin,
      body: { dynamic_client_registration: dcr, client_id_metadata_documents: { policy: 'any' } },
    });
  const refusal = async (clientId: string, orgId: string) => {
    try {
      await gh.app.get(ClientResolver).resolve(clientId, { orgId, meta });
      return 'resolved';
    } catch (e) {
      if (e instanceof ClientRefused) return e.code;
      throw e;
    }
  };
  const agent = { client_name: 'Notes agent', redirect_uris: ['http://127.0.0.1:33418/callback'] };

  beforeAll(async () => {
    gh = await startGatehouse({ env: { GATEHOUSE_DCR_RATE_LIMIT_PER_HOUR: '22' } });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    open = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'open-co', display_name: 'Open' } })).body;
    closed = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'closed-co', display_name: 'C' } })).body;
  });
  afterAll(() => gh?.close());

  it('is advertised, and closed while no organization has it on', async () => {
    const md = await gh.api('GET', '/.well-known/oauth-authorization-server');
    expect(md.body.registration_endpoint).toBe(`${gh.url}/oauth/register`);
    const r = await register(agent);
    expect(r.status).toBe(403);
    expect(r.body).toEqual({
      error: 'access_denied',
      error_description: 'Dynamic client registration is not enabled.',
    });
    expect(await gh.sql('SELECT id FROM dynamic_clients')).toEqual([]);
  });

  it('registers a public native client, stores only hashes, and reads it back with the registration token', async () => {
    expect((await policy(open.id, { enabled: true })).status).toBe(200);
    const r = await register({ ...agent, grant_types: ['authorization_code', 'refresh_token'] });
    expect(r.status).toBe(201);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.body).toEqual({
      client_id: expect.stringMatching(/^dcr_[0-9A-Z]{26}$/),
      client_id_issued_at: expect.any(Number),
      client_name: 'Notes agent',
      application_type: 'native',
      redirect_uris: agent.redirect_uris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      registration_access_token: expect.stringMatching(/^ghreg_/),
      registration_client_uri: `${gh.url}/oauth/register/${r.body.client_id}`,
    });
    const token = r.body.registration_access_token as string;
    const [row] = await gh.sql<{ registration_token_hash: string; secret_hash: string | null }>(
      'SELECT registration_token_hash, secret_hash FROM dynamic_clients WHERE id = $1',
      [r.body.client_id],
    );
    expect(row!.registration_token_hash).not.toContain(token.slice(6));
    expect(row!.secret_hash).toBeNull();
    expect(gh.logs.join('\n')).not.toContain(token);
    const audit = await gh.sql(`SELECT details FROM audit_events WHERE action = 'client.registered'`);
    expect(JSON.stringify(audit)).not.toContain(token);

    const read = await gh.api('GET', `/oauth/register/${r.body.client_id}`, bearer(token));
    expect(read.status).toBe(200);
    const { registration_access_token: _t, ...registered } = r.body;
    expect(read.body).toEqual(registered);

    for (const [path, auth] of [
      [`/oauth/register/${r.body.client_id}`, 'Bearer ghreg_wrong'],
      [`/oauth/register/${r.body.client_id}`, undefined],
      ['/oauth/register/dcr_01J00000000000000000000000', `Bearer ${token}`],
      ['/oauth/register/not-an-id', `Bearer ${token}`],
    ] as const) {
      const denied = await gh.api('GET', path, { headers: auth ? { authorization: auth } : {} });
      expect(denied.status).toBe(401);
      expect(denied.body.error).toBe('invalid_token');
      expect(denied.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    }
  });

  it("registers through the official MCP SDK's discovery and registerClient", async () => {
    // The SDK's discovery insists on authorization_endpoint, which arrives with the
    // authorization endpoint itself; until then registerClient is given the metadata as served.
    const served = (await gh.api('GET', '/.well-known/oauth-authorization-server')).body;
    const metadata = served.authorization_endpoint ? await discoverAuthorizationServerMetadata(gh.url) : served;
    expect(metadata).toMatchObject({ registration_endpoint: `${gh.url}/oauth/register` });
    const info = await registerClient(gh.url, {
      metadata,
      clientMetadata: {
        client_name: 'SDK agent',
        redirect_uris: ['http://localhost:8090/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
      scope: 'notes:read offline_access',
    });
    expect(info).toMatchObject({
      client_id: expect.stringMatching(/^dcr_/),
      client_name: 'SDK agent',
      token_endpoint_auth_method: 'none',
      scope: 'notes:read offline_access',
    });
    expect(info.client_secret).toBeUndefined();
    expect(await refusal(info.client_id, open.id)).toBe('resolved');
  });

  it('registers through @modelcontextprotocol/client 2.x as well', async () => {
    const served = (await gh.api('GET', '/.well-known/oauth-authorization-server')).body;
    const info = await registerClientV2(gh.url, {
      metadata: served,
      clientMetadata: {
        client_name: 'SDK 2 agent',
        redirect_uris: ['http://127.0.0.1:8091/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
    });
    expect(info).toMatchObject({ client_id: expect.stringMatching(/^dcr_/), client_name: 'SDK 2 agent' });
    expect(await refusal(info.client_id, open.id)).toBe('resolved');
  });

  it('admits the client only in organizations that allow dynamic registration', async () => {
    const r = await register(agent);
    const client = await gh.app.get(ClientResolver).resolve(r.body.client_id, { orgId: open.id, meta });
    expect(client).toMatchObject({
      source: 'dynamic',
      selfRegistered: true,
      orgId: open.id,
      displayName: 'Notes agent',
      authMethod: 'none',
      consent: { redirectHosts: ['127.0.0.1:33418'], allRedirectsLoopback: true },
    });
    expect(await refusal(r.body.client_id, closed.id)).toBe('dynamic_registration_off');
    const listed = await gh.api('GET', `/v1/orgs/${open.id}/client-registration/clients`, { token: admin });
    expect(listed.body.items).toContainEqual(expect.objectContaining({ client_id: r.body.client_id, kind: 'dynamic' }));
    expect(
      (
        await gh.api('POST', `/v1/orgs/${open.id}/client-registration/clients/block`, {
          token: admin,
          body: { client_id: r.body.client_id },
        })
      ).status,
    ).toBe(200);
    expect(await refusal(r.body.client_id, open.id)).toBe('blocked');
  });

  it('refuses bad metadata with RFC 7591 errors', async () => {
    const cases: [unknown, string][] = [
      [{ client_name: 'x' }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['http://app.example.com/cb'] }, 'invalid_redirect_uri'],
      [{ application_type: 'web', redirect_uris: ['http://127.0.0.1/cb'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['https://app.example.com/cb#x'] }, 'invalid_redirect_uri'],
      [{ ...agent, token_endpoint_auth_method: 'client_secret_basic' }, 'invalid_client_metadata'],
      [{ ...agent, grant_types: ['client_credentials'] }, 'invalid_client_metadata'],
      [{ ...agent, jwks_uri: 'https://app.example.com/jwks' }, 'invalid_client_metadata'],
      [[1, 2], 'invalid_client_metadata'],
    ];
    for (const [body, error] of cases) {
      const r = await register(body);
      expect([r.status, r.body.error]).toEqual([400, error]);
    }
    const form = await gh.api('POST', '/oauth/register', {
      rawBody: 'redirect_uris=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(400);
    expect(form.body.error).toBe('invalid_client_metadata');
  });

  it('registers a confidential client only where an organization allows it, and admits it only there', async () => {
    expect((await policy(closed.id, { enabled: true, confidential_clients: true })).status).toBe(200);
    const r = await register({
      client_name: 'Server app',
      redirect_uris: ['https://app.example.com/cb'],
      token_endpoint_auth_method: 'client_secret_post',
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      application_type: 'web',
      client_secret: expect.stringMatching(/^ghcs_/),
      client_secret_expires_at: 0,
    });
    const [row] = await gh.sql<{ secret_hash: string }>('SELECT secret_hash FROM dynamic_clients WHERE id = $1', [
      r.body.client_id,
    ]);
    expect(row!.secret_hash).toMatch(/\S/);
    expect(row!.secret_hash).not.toContain(r.body.client_secret.slice(5));
    expect(await refusal(r.body.client_id, open.id)).toBe('confidential_not_allowed');
    expect(await refusal(r.body.client_id, closed.id)).toBe('resolved');
    // What the token endpoint's grants get: the secret checked as a keyed hash, the org's resources.
    const resolver = gh.app.get(ClientResolver);
    const resolved = await resolver.resolve(r.body.client_id, { orgId: closed.id, meta });
    expect(resolver.secretMatches(resolved, r.body.client_secret)).toBe(true);
    expect(resolver.secretMatches(resolved, `${r.body.client_secret}x`)).toBe(false);
    await gh.api('POST', `/v1/orgs/${closed.id}/resources`, {
      token: admin,
      body: { identifier: 'https://mcp.closed.test/mcp', name: 'MCP', scopes: [{ name: 'notes:read' }] },
    });
    expect(await resolver.tokenClient(r.body.client_id, closed.id, meta, r.body.client_secret)).toMatchObject({
      id: r.body.client_id,
      orgId: closed.id,
      orgName: 'closed-co',
      scopes: ['notes:read', 'offline_access'],
      audiences: ['https://mcp.closed.test/mcp'],
      grantTypes: ['authorization_code'],
      method: 'client_secret_post',
      publicClient: false,
    });
    // Without its secret it only named itself: refused for every grant (refresh too); a wrong one is refused.
    await expect(resolver.tokenClient(r.body.client_id, closed.id, meta)).rejects.toMatchObject({
      code: 'unknown_client',
    });
    await expect(
      resolver.tokenClient(r.body.client_id, closed.id, meta, `${r.body.client_secret}x`),
    ).rejects.toMatchObject({ code: 'unknown_client' });
    await expect(resolver.tokenClient(r.body.client_id, open.id, meta)).rejects.toMatchObject({
      code: 'confidential_not_allowed',
    });
    // The secret is shown once: reading the registration does not repeat it.
    const read = await gh.api('GET', `/oauth/register/${r.body.client_id}`, bearer(r.body.registration_access_token));
    expect(read.body.client_secret).toBeUndefined();
  });

  it('deletes a client with its registration token (RFC 7592 §2.3)', async () => {
    const r = await register(agent);
    const token = r.body.registration_access_token;
    expect((await gh.api('DELETE', `/oauth/register/${r.body.client_id}`, bearer('ghreg_nope'))).status).toBe(401);
    const del = await gh.api('DELETE', `/oauth/register/${r.body.client_id}`, bearer(token));
    expect(del.status).toBe(204);
    expect((await gh.api('GET', `/oauth/register/${r.body.client_id}`, bearer(token))).status).toBe(401);
    expect(await refusal(r.body.client_id, open.id)).toBe('unknown_client');
    const [row] = await gh.sql(
      `SELECT reason FROM audit_events WHERE action = 'client.registration.deleted' AND target_id = $1`,
      [r.body.client_id],
    );
    expect(row).toEqual({ reason: 'deleted by the client (RFC 7592)' });
  });

  it('expires a client unused for the configured time', async () => {
    const r = await register(agent);
    await gh.sql(`UPDATE dynamic_clients SET last_used_at = now() - interval '31 days' WHERE id = $1`, [
      r.body.client_id,
    ]);
    expect(await refusal(r.body.client_id, open.id)).toBe('unknown_client');
    expect(
      (await gh.api('GET', `/oauth/register/${r.body.client_id}`, bearer(r.body.registration_access_token))).status,
    ).toBe(401);
    // The next registration sweeps it away, with an audit row.
    expect((await register(agent)).status).toBe(201);
    expect(await gh.sql('SELECT id FROM dynamic_clients WHERE id = $1', [r.body.client_id])).toEqual([]);
    const [row] = await gh.sql(
      `SELECT reason, actor_tier FROM audit_events WHERE action = 'client.registration.deleted' AND target_id = $1`,
      [r.body.client_id],
    );
    expect(row).toEqual({ reason: 'unused for 30 days', actor_tier: 'system' });
  });

  it('limits registrations per source address', async () => {
    let status = 0;
    let tries = 0;
    let last;
    while (status !== 429 && tries < 20) {
      last = await register(agent);
      status = last.status;
      tries++;
    }
    expect(status).toBe(429);
    expect(last!.body.error).toBe('temporarily_unavailable');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.headers.get('ratelimit-policy')).toBe('"registration";q=22;w=3600');
  });
});
