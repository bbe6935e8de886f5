import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';

/** POST /oauth/token with client_credentials (RFC 6749 §4.4), discovery, and errors per §5.2. */
describe('OAuth client credentials', () => {
  let gh: TestGatehouse;
  let admin: string;
  let org: { id: string; name: string };
  let app: { client_id: string; client_secret: string };

  const form = (params: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(params).toString(),
    });
  const json = async (r: Response) => (await r.json()) as Record<string, string>;
  const basic = (id: string, secret: string) => ({
    authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
  });

  beforeAll(async () => {
    gh = await startGatehouse();
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    await gh.api('POST', `/v1/orgs/${org.id}/resources`, {
      token: admin,
      body: {
        identifier: 'https://api.acme.test',
        name: 'Acme API',
        scopes: [{ name: 'invoices:read' }, { name: 'invoices:write' }],
      },
    });
    app = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        token: admin,
        body: {
          name: 'billing',
          scopes: ['invoices:read', 'invoices:write'],
          audiences: ['https://api.acme.test'],
          token_ttl_s: 300,
        },
      })
    ).body;
  });
  afterAll(() => gh?.close());

  it('both discovery documents list the endpoints, grants, client authentication, scopes and signing algorithm', async () => {
    const rfc8414 = await gh.api('GET', '/.well-known/oauth-authorization-server');
    const openid = await gh.api('GET', '/.well-known/openid-configuration');
    expect(rfc8414.status).toBe(200);
    expect(openid.body).toEqual(rfc8414.body);
    expect(rfc8414.body).toMatchObject({
      issuer: gh.url,
      token_endpoint: `${gh.url}/oauth/token`,
      jwks_uri: `${gh.url}/.well-known/jwks.json`,
      revocation_endpoint: `${gh.url}/oauth/revoke`,
      introspection_endpoint: `${gh.url}/oauth/introspect`,
      grant_types_supported: expect.arrayContaining(['client_credentials', 'refresh_token']),
      // `none`: public clients redeeming codes (docs/sign-in.md#clients).
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'],
      dpop_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'],
      // Resource scopes, OpenID Connect's, offline_access and Gatehouse's own (docs/client-registration.md#discovery).
      scopes_supported: [
        'email',
        'gatehouse:revocations',
        'invoices:read',
        'invoices:write',
        'offline_access',
        'openid',
        'profile',
      ],
      access_token_signing_alg_values_supported: ['RS256'],
      registration_endpoint: `${gh.url}/oauth/register`,
      client_id_metadata_document_supported: true,
    });
    // The algorithm advertised is the one the JWKS keys and the tokens carry.
    const jwks = (await gh.api('GET', '/.well-known/jwks.json')).body as { keys: { alg: string }[] };
    expect(new Set(jwks.keys.map((k) => k.alg))).toEqual(
      new Set(rfc8414.body.access_token_signing_alg_values_supported),
    );
  });

  it('a stock client (openid-client) discovers the server and gets a token that verifies through the JWKS', async () => {
    const config = await oidc.discovery(
      new URL(gh.url),
      app.client_id,
      undefined,
      oidc.ClientSecretBasic(app.client_secret),
      {
        execute: [oidc.allowInsecureRequests],
      },
    );
    expect(config.serverMetadata().token_endpoint).toBe(`${gh.url}/oauth/token`);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'invoices:read' });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.expires_in).toBe(300);

    const { payload, protectedHeader } = await jwtVerify(
      tokens.access_token,
      createRemoteJWKSet(new URL(`${gh.url}/.well-known/jwks.json`)),
      {
        issuer: gh.url,
        audience: gh.url,
        typ: 'at+jwt',
        algorithms: ['RS256'],
      },
    );
    expect(protectedHeader.kid).toMatch(/^key_/);
    expect(payload).toMatchObject({
      sub: app.client_id,
      client_id: app.client_id,
      tier: 'app',
      org: 'acme',
      org_id: org.id,
      scope: 'invoices:read',
    });
    expect(payload.jti).toMatch(/^jti_/);
    expect(payload.exp! - payload.iat!).toBe(300);

    const me = await gh.api('GET', '/v1/me', { token: tokens.access_token });
    expect(me.body).toMatchObject({ tier: 'app', id: app.client_id, org: 'acme', org_id: org.id });
  });

  it('client_secret_post works; no scope asked means every granted scope; responses are no-store', async () => {
    const res = await form({
      grant_type: 'client_credentials',
      client_id: app.client_id,
      client_secret: app.client_secret,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await json(res);
    expect(body.scope).toBe('invoices:read invoices:write');
    expect(decodeProtectedHeader(body.access_token).typ).toBe('at+jwt');
  });

  it('an allowed RFC 8707 resource becomes the audience; another is invalid_target', async () => {
    const ok = await form(
      { grant_type: 'client_credentials', resource: 'https://api.acme.test' },
      basic(app.client_id, app.client_secret),
    );
    expect(decodeJwt((await json(ok)).access_token).aud).toBe('https://api.acme.test');
    const bad = await form(
      { grant_type: 'client_credentials', resource: 'https://evil.test' },
      basic(app.client_id, app.client_secret),
    );
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toBe('invalid_target');
  });

  it.each([
    ['scope escalation', { grant_type: 'client_credentials', scope: 'invoices:read admin' }, 400, 'invalid_scope'],
    ['missing grant_type', {}, 400, 'invalid_request'],
    ['unknown grant_type', { grant_type: 'password' }, 400, 'unsupported_grant_type'],
  ])('%s → %s %s', async (_name, params, status, error) => {
    const res = await form(params as Record<string, string>, basic(app.client_id, app.client_secret));
    expect(res.status).toBe(status);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await json(res)).toEqual({ error, error_description: expect.any(String) });
  });

  it('refuses a wrong secret, an unknown client and a garbled header with invalid_client (401, Basic challenge)', async () => {
    for (const headers of [
      basic(app.client_id, app.client_secret + 'x'),
      basic('app_01ZZZZZZZZZZZZZZZZZZZZZZZZ', app.client_secret),
      { authorization: 'Basic !!!' },
    ]) {
      const res = await form({ grant_type: 'client_credentials' }, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="gatehouse"');
      expect((await json(res)).error).toBe('invalid_client');
    }
    const post = await form({ grant_type: 'client_credentials', client_id: app.client_id, client_secret: 'ghs_wrong' });
    expect(post.status).toBe(401);
    expect((await json(post)).error).toBe('invalid_client');
  });

  it('refuses two authentication methods at once, repeated parameters and non-form bodies with invalid_request', async () => {
    const both = await form(
      { grant_type: 'client_credentials', client_id: app.client_id, client_secret: app.client_secret },
      basic(app.client_id, app.client_secret),
    );
    expect(both.status).toBe(400);
    expect((await json(both)).error).toBe('invalid_request');

    const dup = await fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic(app.client_id, app.client_secret) },
      body: 'grant_type=client_credentials&scope=invoices:read&scope=invoices:write',
    });
    expect(dup.status).toBe(400);
    expect((await json(dup)).error).toBe('invalid_request');

    const jsonRes = await fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...basic(app.client_id, app.client_secret) },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    expect(jsonRes.status).toBe(400);
    expect((await json(jsonRes)).error).toBe('invalid_request');
  });

  it('an unreadable, oversized or non-form body is an RFC 6749 error too, never cached', async () => {
    const send = (contentType: string, body: string) =>
      fetch(`${gh.url}/oauth/token`, { method: 'POST', headers: { 'content-type': contentType }, body });
    for (const res of [
      await send('application/json', '{"grant_type":'),
      await send('text/plain', 'grant_type=client_credentials'),
      await send('application/xml', '<grant_type/>'),
    ]) {
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await json(res)).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
    }
    const big = await send('application/x-www-form-urlencoded', `grant_type=${'x'.repeat(2_000_000)}`);
    expect(big.status).toBe(413);
    expect((await json(big)).error).toBe('invalid_request');
  });

  it('the OpenAPI document describes the token endpoint and its form', async () => {
    const doc = (await gh.api('GET', '/openapi.json')).body;
    const op = doc.paths['/oauth/token'].post;
    expect(op.tags).toEqual(['oauth']);
    const schema = op.requestBody.content['application/x-www-form-urlencoded'].schema;
    expect(schema.required).toEqual(['grant_type']);
    expect(schema.properties.grant_type.enum).toEqual([
      'client_credentials',
      'refresh_token',
      'urn:ietf:params:oauth:grant-type:token-exchange',
      'authorization_code',
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
    ]);
    expect(schema.properties.assertion).toEqual(expect.objectContaining({ type: 'string' }));
    expect(schema.properties.requested_token_type.enum).toContain('urn:ietf:params:oauth:token-type:id-jag');
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '429']));
  });

  it('an app not allowed the client_credentials grant gets unauthorized_client', async () => {
    const limited = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        token: admin,
        body: { name: 'users-only', scopes: ['x'], grant_types: ['refresh_token'] },
      })
    ).body;
    expect(limited.grant_types).toEqual(['refresh_token']);
    const res = await form({ grant_type: 'client_credentials' }, basic(limited.client_id, limited.client_secret));
    expect(res.status).toBe(400);
    expect(await json(res)).toEqual({ error: 'unauthorized_client', error_description: expect.any(String) });
    // allowing it is a PATCH away
    await gh.api('PATCH', `/v1/orgs/${org.id}/apps/${limited.client_id}`, {
      token: admin,
      body: { grant_types: ['refresh_token', 'client_credentials'] },
    });
    expect(
      (await form({ grant_type: 'client_credentials' }, basic(limited.client_id, limited.client_secret))).status,
    ).toBe(200);
  });

  it('a disabled app is refused', async () => {
    const other = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, { token: admin, body: { name: 'to-disable', scopes: ['x'] } })
    ).body;
    expect((await form({ grant_type: 'client_credentials' }, basic(other.client_id, other.client_secret))).status).toBe(
      200,
    );
    await gh.api('PATCH', `/v1/orgs/${org.id}/apps/${other.client_id}`, { token: admin, body: { disabled: true } });
    const res = await form({ grant_type: 'client_credentials' }, basic(other.client_id, other.client_secret));
    expect(res.status).toBe(401);
    expect((await json(res)).error).toBe('invalid_client');
  });

  it('every issued token has its audit row, written before the response', async () => {
    const before = await gh.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'token.issued' AND actor_id = $1`,
      [app.client_id],
    );
    const jtis: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await form({ grant_type: 'client_credentials' }, basic(app.client_id, app.client_secret));
      const jti = decodeJwt((await json(res)).access_token).jti!;
      // checked right after the response: the row is already committed
      const row = await gh.sql(`SELECT outcome, org_id FROM audit_events WHERE action = 'token.issued' AND jti = $1`, [
        jti,
      ]);
      expect(row).toEqual([{ outcome: 'success', org_id: org.id }]);
      jtis.push(jti);
    }
    const after = await gh.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'token.issued' AND actor_id = $1`,
      [app.client_id],
    );
    expect(after[0].n - before[0].n).toBe(5);
    expect(new Set(jtis).size).toBe(5);
  });
});
