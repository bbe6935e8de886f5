import { webcrypto } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchToken, discoverAuthorizationServerMetadata } from '@modelcontextprotocol/sdk/client/auth.js';
import { PrivateKeyJwtProvider, createPrivateKeyJwtAuth } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import {
  clientPost,
  cliCreateAdmin,
  hasRedis,
  loginAdmin,
  runGatehouseCli,
  startGatehouse,
  type TestGatehouse,
} from './support/gatehouse';
import { assertionClaims, hmacJwt, signJwt, testKey, unsignedJwt, type TestKey } from './support/jose-keys';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * private_key_jwt client authentication (RFC 7523 §2.2; docs/client-authentication.md):
 * stock clients (openid-client v6, the MCP SDK) against the token endpoint, revocation and
 * introspection with assertions, registration rules, and one test per refusal, each with
 * its audit row.
 */
describe('private_key_jwt', () => {
  let gh: TestGatehouse;
  let admin: string;
  let orgId: string;
  const es = testKey('ES256', 'es-1');
  const rsa = testKey('PS256');
  let app: { client_id: string; client_secret?: string };
  let jwksServer: Server;
  let jwksUrl = '';
  let served: object = { keys: [] };

  const tokenUrl = () => `${gh.url}/oauth/token`;
  const withAssertion = (assertion: string, params: Record<string, string> = {}, path = '/oauth/token') =>
    fetch(`${gh.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: assertion,
        ...params,
      }).toString(),
    }).then(async (r) => ({ status: r.status, body: (await r.json().catch(() => ({}))) as Record<string, string> }));
  const createApp = (body: Record<string, unknown>) =>
    gh.api('POST', `/v1/orgs/${orgId}/apps`, { token: admin, body: { scopes: ['reports:read'], ...body } });
  const auditRow = async (reason: string | RegExp) => {
    const rows = await gh.sql<{ reason: string; target_id: string | null; details: Record<string, unknown> }>(
      `SELECT reason, target_id, details FROM audit_events WHERE action = 'client.authentication_failed' ORDER BY seq`,
    );
    const row = rows.find((r) => (typeof reason === 'string' ? r.reason === reason : reason.test(r.reason)));
    expect(row).toBeDefined();
    return row!;
  };

  beforeAll(async () => {
    jwksServer = createServer((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' })
        .end(JSON.stringify(served));
    });
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
    gh = await startGatehouse({ redis: hasRedis(), env: { GATEHOUSE_CIMD_ALLOW_LOOPBACK: 'true' } });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    orgId = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'keys', display_name: 'Keys' } })).body.id;
    const res = await createApp({
      name: 'reporter',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [es.publicJwk, rsa.publicJwk] },
    });
    expect(res.status).toBe(201);
    app = res.body;
  });
  afterAll(async () => {
    await gh?.close();
    jwksServer?.closeAllConnections();
    await new Promise((r) => jwksServer?.close(r));
  });

  it('an app created for private_key_jwt gets no client secret, and shows its public keys', async () => {
    expect(app.client_secret).toBeUndefined();
    expect(app).toMatchObject({
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [es.publicJwk, rsa.publicJwk] },
      jwks_uri: null,
      dpop_bound_access_tokens: false,
      dpop_nonce_required: false,
    });
    const secrets = await gh.api('GET', `/v1/orgs/${orgId}/apps/${app.client_id}/secrets`, { token: admin });
    expect(secrets.body.data ?? secrets.body).toEqual([]);
  });

  it('openid-client v6 (PrivateKeyJwt) gets client-credentials tokens', async () => {
    const { privateKey, publicKey } = (await webcrypto.subtle.generateKey(
      { name: 'ECDSA', namedCurve: 'P-256' },
      true,
      ['sign', 'verify'],
    )) as webcrypto.CryptoKeyPair;
    const jwk = await webcrypto.subtle.exportKey('jwk', publicKey);
    const reg = await createApp({
      name: 'oidc-client',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ ...jwk, kid: 'wc-1' }] },
    });
    expect(reg.status).toBe(201);
    const config = await oidc.discovery(
      new URL(gh.url),
      reg.body.client_id,
      undefined,
      oidc.PrivateKeyJwt({ key: privateKey, kid: 'wc-1' }),
      { execute: [oidc.allowInsecureRequests] },
    );
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'reports:read' });
    expect(tokens.token_type).toBe('bearer');
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ sub: reg.body.client_id, tier: 'app', scope: 'reports:read' });
    const me = await gh.api('GET', '/v1/me', { token: tokens.access_token });
    expect(me.body).toMatchObject({ tier: 'app', id: reg.body.client_id });
    const [row] = await gh.sql<{ details: Record<string, unknown> }>(
      `SELECT details FROM audit_events WHERE action = 'token.issued' AND jti = $1`,
      [claims.jti],
    );
    expect(row!.details).toMatchObject({ auth_method: 'private_key_jwt' });
  });

  it("the MCP SDK's createPrivateKeyJwtAuth (PrivateKeyJwtProvider, fetchToken) gets client-credentials tokens", async () => {
    // The SDK's discovery parser wants an authorization_endpoint, which a client-credentials-only
    // server need not have; hand it the RFC 8414 document as Gatehouse serves it.
    type Metadata = NonNullable<Awaited<ReturnType<typeof discoverAuthorizationServerMetadata>>>;
    const metadata = (await gh.api('GET', '/.well-known/oauth-authorization-server')).body as Metadata;
    expect(metadata.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    const provider = new PrivateKeyJwtProvider({
      clientId: app.client_id,
      privateKey: es.privateJwk,
      algorithm: 'ES256',
      scope: 'reports:read',
      expectedIssuer: gh.url,
    });
    const tokens = await fetchToken(provider, gh.url, { metadata });
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: app.client_id, scope: 'reports:read' });
    // The helper itself, with the token endpoint as the audience and a PS256 key.
    const params = new URLSearchParams({ grant_type: 'client_credentials' });
    const addAuth = createPrivateKeyJwtAuth({
      issuer: app.client_id,
      subject: app.client_id,
      privateKey: rsa.privateJwk,
      alg: 'PS256',
      audience: tokenUrl(),
    });
    await addAuth(new Headers(), params, tokenUrl(), metadata);
    const res = await fetch(tokenUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: params.toString(),
    });
    expect(res.status).toBe(200);
  });

  it('revocation and introspection take assertions whose aud is the issuer or that endpoint', async () => {
    const { body } = await withAssertion(signJwt(es, assertionClaims(app.client_id, gh.url)));
    const token = body.access_token!;
    const introspect = await withAssertion(
      signJwt(es, assertionClaims(app.client_id, `${gh.url}/oauth/introspect`)),
      { grant_type: '', token },
      '/oauth/introspect',
    );
    expect(introspect).toMatchObject({ status: 200, body: { active: true, client_id: app.client_id } });
    const revoke = await fetch(`${gh.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token,
        client_id: app.client_id,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: signJwt(es, assertionClaims(app.client_id, `${gh.url}/oauth/revoke`)),
      }).toString(),
    });
    expect(revoke.status).toBe(200);
    expect((await gh.api('GET', '/v1/me', { token })).status).toBe(401);
  });

  it('keys from a jwks_uri (fetched through the guarded fetcher) work', async () => {
    const remote = testKey('EdDSA', 'ed-1');
    served = { keys: [remote.publicJwk, { kty: 'RSA', use: 'enc', n: 'AQAB', e: 'AQAB' }] };
    const reg = await createApp({
      name: 'remote-keys',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: jwksUrl,
    });
    expect(reg.status).toBe(201);
    const res = await withAssertion(signJwt(remote, assertionClaims(reg.body.client_id, gh.url)));
    expect(res.status).toBe(200);
  });

  describe('one refusal per attack, each invalid_client (401) with its audit row', () => {
    const refused = async (assertion: string, reason: string | RegExp, params: Record<string, string> = {}) => {
      const res = await withAssertion(assertion, params);
      expect(res).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
      expect(JSON.stringify(res.body)).not.toMatch(/jti|aud|alg|signature/);
      return auditRow(reason);
    };

    it('a replayed jti', async () => {
      const once = signJwt(es, assertionClaims(app.client_id, gh.url));
      expect((await withAssertion(once)).status).toBe(200);
      const row = await refused(once, 'client assertion "jti" was used before');
      expect(row).toMatchObject({ target_id: app.client_id, details: { method: 'private_key_jwt' } });
    });

    it('a wrong aud', async () => {
      await refused(
        signJwt(es, assertionClaims(app.client_id, 'https://other-as.example')),
        'client assertion "aud" does not name this server',
      );
    });

    it('an expired assertion, and one that lives too long', async () => {
      const now = Math.floor(Date.now() / 1000);
      await refused(
        signJwt(es, assertionClaims(app.client_id, gh.url, { iat: now - 600, exp: now - 60 })),
        'client assertion has expired',
      );
      await refused(
        signJwt(es, assertionClaims(app.client_id, gh.url, { exp: now + 3600 })),
        'client assertion "exp" is more than 5 minutes ahead',
      );
      await refused(
        signJwt(es, assertionClaims(app.client_id, gh.url, { exp: undefined })),
        'client assertion has no "exp"',
      );
    });

    it('a key the client did not register', async () => {
      await refused(
        signJwt(testKey('ES256', 'es-1'), assertionClaims(app.client_id, gh.url)),
        'client assertion is not signed by a registered key',
      );
    });

    it('alg none', async () => {
      await refused(unsignedJwt(assertionClaims(app.client_id, gh.url)), 'client assertion is not a compact JWS');
      await refused(
        `${unsignedJwt(assertionClaims(app.client_id, gh.url))}c2ln`,
        'client assertion alg none not allowed',
      );
    });

    it('HS256 with the public key as the secret', async () => {
      const forged = hmacJwt(JSON.stringify(es.publicJwk), assertionClaims(app.client_id, gh.url), { kid: 'es-1' });
      await refused(forged, 'client assertion alg HS256 not allowed');
    });

    it('iss other than sub, and a client_id other than the assertion names', async () => {
      await refused(
        signJwt(es, assertionClaims(app.client_id, gh.url, { iss: 'app_01ARZ3NDEKTSV4RRFFQ69G5FAV' })),
        'client assertion "iss" differs from "sub"',
      );
      await refused(signJwt(es, assertionClaims(app.client_id, gh.url)), /client_id differs/, {
        client_id: 'app_01ARZ3NDEKTSV4RRFFQ69G5FAV',
      });
    });

    it('a jwks_uri on a private address', async () => {
      const reg = await createApp({
        name: 'metadata-probe',
        token_endpoint_auth_method: 'private_key_jwt',
        jwks_uri: 'https://169.254.169.254/latest/meta-data/jwks.json',
      });
      expect(reg.status).toBe(201);
      const row = await refused(
        signJwt(es, assertionClaims(reg.body.client_id, gh.url)),
        'jwks_uri refused (address_refused)',
      );
      expect(row.target_id).toBe(reg.body.client_id);
    });

    it('a client secret left over from before the app moved to keys', async () => {
      const secretApp = (await createApp({ name: 'migrating' })).body;
      expect(secretApp.client_secret).toMatch(/^ghs_/);
      const patch = await gh.api('PATCH', `/v1/orgs/${orgId}/apps/${secretApp.client_id}`, {
        token: admin,
        body: { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [rsa.publicJwk] } },
      });
      expect(patch.status).toBe(200);
      const bySecret = await clientPost(gh.url, secretApp, '/oauth/token', { grant_type: 'client_credentials' });
      expect(bySecret.status).toBe(401);
      await auditRow('client secret sent; the app authenticates with private_key_jwt');
      expect((await withAssertion(signJwt(rsa, assertionClaims(secretApp.client_id, gh.url)))).status).toBe(200);
      // And an assertion for an app that uses its secret is refused the same way.
      await gh.api('PATCH', `/v1/orgs/${orgId}/apps/${secretApp.client_id}`, {
        token: admin,
        body: { token_endpoint_auth_method: 'client_secret_post' },
      });
      expect((await clientPost(gh.url, secretApp, '/oauth/token', { grant_type: 'client_credentials' })).status).toBe(
        200,
      );
      await refused(
        signJwt(rsa, assertionClaims(secretApp.client_id, gh.url)),
        'client assertion sent; the app authenticates with client_secret_post',
      );
    });

    it('an assertion together with another credential is invalid_request', async () => {
      const res = await withAssertion(signJwt(es, assertionClaims(app.client_id, gh.url)), { client_secret: 'x' });
      expect(res).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    });
  });

  it('the CLI registers a key app and changes its DPoP requirements, audited as cli', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gh-jwks-')), 'jwks.json');
    const key = testKey('EdDSA', 'cli-1');
    writeFileSync(file, JSON.stringify({ keys: [key.publicJwk] }));
    const created = await runGatehouseCli(gh, [
      'apps',
      'create',
      '--org',
      orgId,
      '--name',
      'cli-app',
      '--scope',
      'reports:read',
      '--auth-method',
      'private_key_jwt',
      '--jwks-file',
      file,
      '--dpop-bound',
      'true',
      '--json',
    ]);
    expect(created.code).toBe(0);
    const made = JSON.parse(created.out.join('\n')) as Record<string, unknown>;
    expect(made).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', dpop_bound_access_tokens: true });
    expect(made.client_secret).toBeUndefined();
    const updated = await runGatehouseCli(gh, [
      'apps',
      'update',
      '--org',
      orgId,
      '--app',
      String(made.client_id),
      '--dpop-nonce-required',
      'true',
    ]);
    expect(updated.code).toBe(0);
    expect(updated.out.join('\n')).toMatch(/DPoP: required, server nonce required/);
    const [row] = await gh.sql<{ actor_id: string }>(
      `SELECT actor_id FROM audit_events WHERE action = 'app.created' AND target_id = $1`,
      [made.client_id],
    );
    expect(row!.actor_id).toBe('cli');
    const bad = await runGatehouseCli(gh, [
      'apps',
      'update',
      '--org',
      orgId,
      '--app',
      String(made.client_id),
      '--clear-keys',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.err.join('\n')).toMatch(/private_key_jwt needs jwks or jwks_uri/);
  });

  describe('registration rules', () => {
    const invalid = async (body: Record<string, unknown>, path: string, message: RegExp) => {
      const res = await createApp({ name: `bad-${Math.random().toString(36).slice(2, 8)}`, ...body });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      const err = (res.body.errors as { path: string; message: string }[]).find((e) => e.path === path);
      expect(err?.message).toMatch(message);
    };
    const key = (k: TestKey) => k.publicJwk;

    it('refuses private keys, symmetric keys, unsupported curves and small RSA keys', async () => {
      await invalid({ jwks: { keys: [es.privateJwk] } }, 'jwks.keys.0', /private member "d"/);
      await invalid({ jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, 'jwks.keys.0', /private member "k"/);
      await invalid({ jwks: { keys: [{ kty: 'EC', crv: 'P-521', x: 'AA', y: 'AA' }] } }, 'jwks.keys.0', /EC P-256/);
      await invalid({ jwks: { keys: [{ ...key(es), alg: 'RS256' }] } }, 'jwks.keys.0', /cannot sign/);
      await invalid({ jwks: { keys: [key(es), key(es)] } }, 'jwks.keys.1.kid', /unique/);
    });

    it('refuses jwks with jwks_uri, private_key_jwt without keys, and an http jwks_uri off loopback', async () => {
      await invalid({ jwks: { keys: [key(es)] }, jwks_uri: 'https://client.example/jwks' }, 'jwks_uri', /not both/);
      await invalid({ token_endpoint_auth_method: 'private_key_jwt' }, 'token_endpoint_auth_method', /needs jwks/);
      await invalid({ jwks_uri: 'http://client.example/jwks' }, 'jwks_uri', /https/);
      await invalid({ jwks_uri: 'https://u:p@client.example/jwks' }, 'jwks_uri', /userinfo/);
    });

    it('clearing the keys of a private_key_jwt app is refused; replacing the source clears the other', async () => {
      const res = await gh.api('PATCH', `/v1/orgs/${orgId}/apps/${app.client_id}`, {
        token: admin,
        body: { jwks: null },
      });
      expect(res.status).toBe(400);
      const moved = await gh.api('PATCH', `/v1/orgs/${orgId}/apps/${app.client_id}`, {
        token: admin,
        body: { jwks_uri: jwksUrl },
      });
      expect(moved.body).toMatchObject({ jwks: null, jwks_uri: jwksUrl });
      const back = await gh.api('PATCH', `/v1/orgs/${orgId}/apps/${app.client_id}`, {
        token: admin,
        body: { jwks: { keys: [es.publicJwk, rsa.publicJwk] } },
      });
      expect(back.body).toMatchObject({ jwks_uri: null, jwks: { keys: [es.publicJwk, rsa.publicJwk] } });
      const [row] = await gh.sql<{ details: { changed: string[] } }>(
        `SELECT details FROM audit_events WHERE action = 'app.updated' AND target_id = $1 ORDER BY seq DESC LIMIT 1`,
        [app.client_id],
      );
      expect(row!.details.changed).toEqual(['jwks']);
    });
  });
});
