import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { assertionClaims, signJwt, testKey, type TestKey } from './support/jose-keys';
import { HeadlessProvider, MCP_CALLBACK, startMcpWorld, tokenRequest, type McpWorld } from './support/mcp-sign-in';

const ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * Self-registered clients authenticating with `private_key_jwt`
 * (docs/client-registration.md#revocation-and-introspection): a Client ID Metadata Document
 * with inline `jwks`, one with a `jwks_uri` (both served by the test on loopback), and a
 * dynamically registered client with `jwks`. Each redeems its code and refreshes only with an
 * assertion signed by its key (none, or another key, is `invalid_client`), introspects its
 * own tokens (another client's is `active: false`) and revokes them; a public dynamic client
 * revokes its refresh token naming itself; and a resource server's introspection sees such a
 * client's user token live until the organization blocks the client.
 */
describe('self-registered clients with private_key_jwt: token, introspection, revocation', () => {
  let world: McpWorld;
  const key = testKey('ES256', 'agent-1');
  const jwksUriKey = testKey('RS256', 'agent-uri-1');
  const stranger = testKey('ES256', 'agent-1');
  let dcrId = '';

  const keyedDoc = (docBase: string, path: string, keys: Record<string, unknown>) => ({
    client_id: `${docBase}${path}`,
    client_name: 'Keyed agent',
    redirect_uris: [MCP_CALLBACK],
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'private_key_jwt',
    ...keys,
  });

  beforeAll(async () => {
    world = await startMcpWorld({
      documents: (docBase) => ({
        '/agent/keyed.json': keyedDoc(docBase, '/agent/keyed.json', { jwks: { keys: [key.publicJwk] } }),
        '/agent/keyed-uri.json': keyedDoc(docBase, '/agent/keyed-uri.json', { jwks_uri: `${docBase}/agent/jwks.json` }),
        '/agent/jwks.json': { keys: [jwksUriKey.publicJwk] },
      }),
    });
    const policy = await world.gh.api('PUT', `/v1/orgs/${world.orgId}/client-registration`, {
      token: world.admin,
      body: {
        dynamic_client_registration: { enabled: true, confidential_clients: true },
        client_id_metadata_documents: { policy: 'any' },
      },
    });
    expect(policy.status).toBe(200);
    const reg = await world.gh.api('POST', '/oauth/register', {
      body: {
        client_name: 'Keyed DCR agent',
        redirect_uris: [MCP_CALLBACK],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [key.publicJwk] },
      },
    });
    expect(reg.status).toBe(201);
    // RFC 7591 §3.2.1: what was registered; a key-based client gets no secret.
    expect(reg.body).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.publicJwk] } });
    expect(reg.body.client_secret).toBeUndefined();
    dcrId = reg.body.client_id as string;
  });
  afterAll(async () => {
    await world?.close();
  });

  const assertion = (clientId: string, k: TestKey, endpoint = '/oauth/token') => ({
    client_assertion_type: ASSERTION,
    client_assertion: signJwt(k, assertionClaims(clientId, `${world.gh.url}${endpoint}`)),
  });
  const post = (path: string, params: Record<string, string>) =>
    fetch(`${world.gh.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params),
    });

  /** The hosted pages for `clientId`, answering the code and its verifier. */
  async function codeFor(clientId: string): Promise<{ code: string; verifier: string }> {
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(`${world.gh.url}/oauth/authorize`);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: MCP_CALLBACK,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      scope: 'notes:read offline_access',
      resource: world.resource,
    }))
      url.searchParams.set(k, v);
    const back = await world.signIn(url, new HeadlessProvider<object, object>(world.signIn));
    expect(back.searchParams.get('error')).toBeNull();
    return { code: back.searchParams.get('code')!, verifier };
  }

  const cases: [string, () => string, () => TestKey][] = [
    ['a metadata document with jwks', () => `${world.docBase}/agent/keyed.json`, () => key],
    ['a metadata document with jwks_uri', () => `${world.docBase}/agent/keyed-uri.json`, () => jwksUriKey],
    ['a dynamic client with jwks', () => dcrId, () => key],
  ];

  it.each(cases)(
    '%s: code and refresh with an assertion only; introspects and revokes its own tokens',
    async (_k, id, k) => {
      const clientId = id();
      const signer = k();
      const { code, verifier } = await codeFor(clientId);
      const redeem = { grant_type: 'authorization_code', code, redirect_uri: MCP_CALLBACK, code_verifier: verifier };
      // Naming itself is not enough for a key-based client, and another key is not its key.
      const bare = await tokenRequest(world.gh, { ...redeem, client_id: clientId });
      expect(bare.status).toBe(401);
      expect(await bare.json()).toMatchObject({ error: 'invalid_client' });
      const forged = await tokenRequest(world.gh, { ...redeem, ...assertion(clientId, stranger) });
      expect(forged.status).toBe(401);
      expect(await forged.json()).toMatchObject({ error: 'invalid_client' });
      const good = await tokenRequest(world.gh, { ...redeem, ...assertion(clientId, signer) });
      expect(good.status).toBe(200);
      const tokens = (await good.json()) as { access_token: string; refresh_token: string };
      expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: world.resource, client_id: clientId });

      const refreshBare = await tokenRequest(world.gh, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: clientId,
      });
      expect(refreshBare.status).toBe(401);
      const refreshed = await tokenRequest(world.gh, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        ...assertion(clientId, signer),
      });
      expect(refreshed.status).toBe(200);
      const next = (await refreshed.json()) as { access_token: string; refresh_token: string };

      // RFC 7662: its own token, truly; without an assertion, or with another key, refused.
      const seen = await post('/oauth/introspect', {
        token: next.access_token,
        ...assertion(clientId, signer, '/oauth/introspect'),
      });
      expect(seen.status).toBe(200);
      expect(await seen.json()).toMatchObject({ active: true, client_id: clientId, aud: world.resource });
      const unproven = await post('/oauth/introspect', {
        token: next.access_token,
        ...assertion(clientId, stranger, '/oauth/introspect'),
      });
      expect(unproven.status).toBe(401);
      expect(await unproven.json()).toMatchObject({ error: 'invalid_client' });

      // Another client's token (the same org and resource) is not its business.
      const other = await codeFor(dcrId === clientId ? `${world.docBase}/agent/keyed.json` : dcrId);
      const otherTokens = (await (
        await tokenRequest(world.gh, {
          grant_type: 'authorization_code',
          code: other.code,
          redirect_uri: MCP_CALLBACK,
          code_verifier: other.verifier,
          ...assertion(dcrId === clientId ? `${world.docBase}/agent/keyed.json` : dcrId, key),
        })
      ).json()) as { access_token: string };
      const notMine = await post('/oauth/introspect', {
        token: otherTokens.access_token,
        ...assertion(clientId, signer, '/oauth/introspect'),
      });
      expect(await notMine.json()).toEqual({ active: false });

      // RFC 7009: it revokes its access token and its refresh token.
      const revokeAccess = await post('/oauth/revoke', {
        token: next.access_token,
        ...assertion(clientId, signer, '/oauth/revoke'),
      });
      expect(revokeAccess.status).toBe(200);
      const after = await post('/oauth/introspect', {
        token: next.access_token,
        ...assertion(clientId, signer, '/oauth/introspect'),
      });
      expect(await after.json()).toEqual({ active: false });
      const revokeRefresh = await post('/oauth/revoke', {
        token: next.refresh_token,
        ...assertion(clientId, signer, '/oauth/revoke'),
      });
      expect(revokeRefresh.status).toBe(200);
      const dead = await tokenRequest(world.gh, {
        grant_type: 'refresh_token',
        refresh_token: next.refresh_token,
        ...assertion(clientId, signer),
      });
      expect(dead.status).toBe(400);
      expect(await dead.json()).toMatchObject({ error: 'invalid_grant' });
    },
  );

  it('a public dynamic client revokes its refresh token naming itself; another client cannot', async () => {
    const reg = await world.gh.api('POST', '/oauth/register', {
      body: {
        client_name: 'Public agent',
        redirect_uris: [MCP_CALLBACK],
        grant_types: ['authorization_code', 'refresh_token'],
      },
    });
    const clientId = reg.body.client_id as string;
    const { code, verifier } = await codeFor(clientId);
    const res = await tokenRequest(world.gh, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: MCP_CALLBACK,
      code_verifier: verifier,
      client_id: clientId,
    });
    expect(res.status).toBe(200);
    const { refresh_token: refresh } = (await res.json()) as { refresh_token: string };
    const byOther = await post('/oauth/revoke', { token: refresh, ...assertion(dcrId, key, '/oauth/revoke') });
    expect(byOther.status).toBe(400);
    expect(await byOther.json()).toMatchObject({ error: 'unauthorized_client' });
    const revoked = await post('/oauth/revoke', { token: refresh, client_id: clientId });
    expect(revoked.status).toBe(200);
    const dead = await tokenRequest(world.gh, {
      grant_type: 'refresh_token',
      refresh_token: refresh,
      client_id: clientId,
    });
    expect(dead.status).toBe(400);
    expect(await dead.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it("a resource server sees a self-registered client's user token live until the org blocks the client", async () => {
    // The resource's own app (it names the resource in its audiences) introspects with its secret.
    const rs = await world.gh.api('POST', `/v1/orgs/${world.orgId}/apps`, {
      token: world.admin,
      body: { name: 'Notes resource server', scopes: ['notes:read'], audiences: [world.resource] },
    });
    expect(rs.status).toBe(201);
    const basic = `Basic ${Buffer.from(`${rs.body.client_id}:${rs.body.client_secret}`).toString('base64')}`;
    const introspect = async (token: string) =>
      (await (
        await fetch(`${world.gh.url}/oauth/introspect`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
          body: new URLSearchParams({ token }),
        })
      ).json()) as { active: boolean; client_id?: string };
    const clientId = `${world.docBase}/agent/keyed.json`;
    const { code, verifier } = await codeFor(clientId);
    const res = await tokenRequest(world.gh, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: MCP_CALLBACK,
      code_verifier: verifier,
      ...assertion(clientId, key),
    });
    const { access_token: access } = (await res.json()) as { access_token: string };
    expect(await introspect(access)).toMatchObject({ active: true, client_id: clientId });
    const block = await world.gh.api('POST', `/v1/orgs/${world.orgId}/client-registration/clients/block`, {
      token: world.admin,
      body: { client_id: clientId },
    });
    expect(block.status).toBe(200);
    expect(await introspect(access)).toEqual({ active: false });
  });
});
