import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { clientPost, cliCreateAdmin, loginAdmin, runGatehouseCli, type TestGatehouse } from './support/gatehouse';
import { signInThroughPages, startIdJagPair, type AsInstance } from './support/id-jag-pair';
import { hmacJwt, signJwt, testKey, unsignedJwt, type TestKey } from './support/jose-keys';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';
const CALLBACK = 'http://127.0.0.1:9/cb';
const ID_JAG = 'urn:ietf:params:oauth:token-type:id-jag';
const PASSWORD = 'Correct-Horse-Battery-Staple-9';
type App = { client_id: string; client_secret: string };
type Reply = { status: number; body: Record<string, string> };

/**
 * The Identity Assertion JWT Authorization Grant with Gatehouse on both sides
 * (docs/id-jag.md): org Acme's Gatehouse is the identity provider, a second Gatehouse (its
 * own database, keys and issuer) the resource authorization server of Notes. An agent signs
 * Alice in at the IdP, trades her token there for an ID-JAG addressed to the Notes server,
 * and presents it there with the jwt-bearer grant. Then one test per refusal of the resource
 * side, and the identity provider's refusals.
 */
describe('ID-JAG: Gatehouse as the identity provider and as the resource authorization server', () => {
  let idp: TestGatehouse;
  let rs: TestGatehouse;
  let asIdp: AsInstance;
  let asRs: AsInstance;
  const NOTES = 'https://notes.example.test/mcp';
  const OTHER = 'https://other.example.test/api';
  // The IdP side.
  let acme: { id: string };
  let agentAtIdp: App & { id: string };
  let otherAtIdp: App & { id: string };
  let aliceAtIdp: { id: string };
  let aliceToken: string;
  let idpAdmin: string;
  // The resource side.
  let notesOrg: { id: string };
  let agentAtRs: App & { id: string };
  let strangerAtRs: App & { id: string };
  let noGrantAtRs: App & { id: string };
  let aliceAtRs: { id: string };
  let bobAtRs: { id: string };
  let rsAdmin: string;
  // A second identity provider the Notes org trusts, whose grants the tests forge at will.
  const TEST_IDP = 'https://idp.example.test';
  let idpKey: TestKey;
  const otherKey = testKey('ES256', 'other');
  // The IdP's clock, moved forward only to see an ID token expire.
  let skewMs = 0;
  const idpClock = { now: () => new Date(Date.now() + skewMs) };

  const form = (base: string, client: App, params: Record<string, string>): Promise<Reply> =>
    clientPost(base, client, '/oauth/token', params).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as Record<string, string>,
    }));
  const requestIdJag = (params: Record<string, string> = {}, client: App = agentAtIdp) =>
    form(idp.url, client, {
      grant_type: EXCHANGE,
      requested_token_type: ID_JAG,
      subject_token: aliceToken,
      subject_token_type: AT,
      audience: rs.url,
      resource: NOTES,
      ...params,
    });
  const present = (assertion: string, params: Record<string, string> = {}, client: App = agentAtRs) =>
    form(rs.url, client, { grant_type: JWT_BEARER, assertion, ...params });
  /** An ID-JAG of the test identity provider, valid unless overridden. */
  const grant = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key = idpKey) => {
    const now = Math.floor(Date.now() / 1000);
    return signJwt(
      key,
      {
        iss: TEST_IDP,
        sub: 'idp-user-alice',
        aud: rs.url,
        client_id: agentAtRs.client_id,
        jti: randomUUID(),
        iat: now,
        exp: now + 120,
        resource: NOTES,
        scope: 'notes:read notes:write',
        email: 'alice@acme.test',
        email_verified: true,
        ...claims,
      },
      { typ: 'oauth-id-jag+jwt', ...header },
    );
  };
  const expectRefused = async (r: Reply, error = 'invalid_grant', reason?: RegExp) => {
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(error);
    expect(r.body.access_token).toBeUndefined();
    if (reason) {
      const [row] = await rs.sql<{ reason: string }>(
        `SELECT reason FROM audit_events WHERE action = 'id_jag.rejected' ORDER BY chain_seq DESC LIMIT 1`,
      );
      expect(row!.reason).toMatch(reason);
    }
  };

  beforeAll(async () => {
    ({ idp, rs, asIdp, asRs } = await startIdJagPair({ redis: true, idpClock }));
    idpKey = testKey('RS256', 'test-idp-1');

    // The resource authorization server: Notes, its agent client, Alice and Bob.
    await asRs(async () => {
      rsAdmin = (await loginAdmin(rs, await cliCreateAdmin(rs, { platform: true }))).access_token;
      const api = (m: string, p: string, body?: unknown) => rs.api(m, p, { token: rsAdmin, body });
      notesOrg = (await api('POST', '/v1/orgs', { name: 'notes', display_name: 'Notes' })).body;
      const other = (await api('POST', '/v1/orgs', { name: 'other', display_name: 'Other' })).body;
      const scopes = [
        { name: 'notes:read', description: 'Read notes' },
        { name: 'notes:write', description: 'Write notes' },
      ];
      expect(
        (await api('POST', `/v1/orgs/${notesOrg.id}/resources`, { identifier: NOTES, name: 'Notes', scopes })).status,
      ).toBe(201);
      expect((await api('POST', `/v1/orgs/${other.id}/resources`, { identifier: OTHER, name: 'Other' })).status).toBe(
        201,
      );
      const mkApp = async (name: string, grantTypes: string[]) => {
        const r = await api('POST', `/v1/orgs/${notesOrg.id}/apps`, {
          name,
          scopes: ['notes:read', 'notes:write'],
          audiences: [NOTES],
          grant_types: grantTypes,
        });
        expect(r.status).toBe(201);
        return { ...r.body, id: r.body.client_id } as App & { id: string };
      };
      agentAtRs = await mkApp('agent', [JWT_BEARER]);
      strangerAtRs = await mkApp('stranger', [JWT_BEARER]);
      noGrantAtRs = await mkApp('no-grant', ['client_credentials']);
      aliceAtRs = (await api('POST', `/v1/orgs/${notesOrg.id}/users`, { email: 'alice@acme.test', password: PASSWORD }))
        .body;
      bobAtRs = (await api('POST', `/v1/orgs/${notesOrg.id}/users`, { email: 'bob@acme.test', password: PASSWORD }))
        .body;
      // Alice's address is verified here (an admin vouched for it); Bob's is not.
      expect(
        (await api('PATCH', `/v1/orgs/${notesOrg.id}/users/${aliceAtRs.id}`, { email_verified: true })).status,
      ).toBe(200);
      const trust = (body: Record<string, unknown>) => api('POST', `/v1/orgs/${notesOrg.id}/trusted-issuers`, body);
      expect(
        (
          await trust({
            issuer: idp.url,
            jwks_uri: `${idp.url}/.well-known/jwks.json`,
            allowed_clients: [agentAtRs.id],
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await trust({
            issuer: TEST_IDP,
            jwks: { keys: [idpKey.publicJwk] },
            allowed_clients: [agentAtRs.id, noGrantAtRs.id],
          })
        ).status,
      ).toBe(201);
    });

    // The identity provider: Acme, the agent's client there, Alice signed in through it.
    await asIdp(async () => {
      idpAdmin = (await loginAdmin(idp, await cliCreateAdmin(idp, { platform: true }))).access_token;
      const api = (m: string, p: string, body?: unknown) => idp.api(m, p, { token: idpAdmin, body });
      acme = (await api('POST', '/v1/orgs', { name: 'acme', display_name: 'Acme' })).body;
      const mkApp = async (name: string) => {
        const r = await api('POST', `/v1/orgs/${acme.id}/apps`, {
          name,
          scopes: ['profile'],
          grant_types: ['authorization_code', 'refresh_token', EXCHANGE],
          redirect_uris: [CALLBACK],
          password_login: true,
        });
        expect(r.status).toBe(201);
        return { ...r.body, id: r.body.client_id } as App & { id: string };
      };
      agentAtIdp = await mkApp('agent');
      otherAtIdp = await mkApp('other');
      aliceAtIdp = (await api('POST', `/v1/orgs/${acme.id}/users`, { email: 'alice@acme.test', password: PASSWORD }))
        .body;
      expect((await api('PATCH', `/v1/orgs/${acme.id}/users/${aliceAtIdp.id}`, { email_verified: true })).status).toBe(
        200,
      );
      const allowed = await api('POST', `/v1/orgs/${acme.id}/id-jag-audiences`, {
        issuer: rs.url,
        clients: [{ app_id: agentAtIdp.id, client_id: agentAtRs.client_id }],
        scopes: ['notes:read', 'notes:write'],
      });
      expect(allowed.status).toBe(201);
      const login = await idp.api('POST', `/v1/orgs/${acme.id}/users/login`, {
        body: { client_id: agentAtIdp.client_id, email: 'alice@acme.test', password: PASSWORD },
      });
      expect(login.status).toBe(200);
      aliceToken = login.body.access_token;
    });
  });
  afterAll(async () => {
    await rs?.close();
    await idp?.close();
  });

  describe('end to end, Gatehouse on both sides', () => {
    it('both servers advertise the profile', async () => {
      for (const gh of [idp, rs]) {
        const meta = (await gh.api('GET', '/.well-known/oauth-authorization-server')).body;
        expect(meta.grant_types_supported).toContain(JWT_BEARER);
        expect(meta.authorization_grant_profiles_supported).toEqual(['urn:ietf:params:oauth:grant-profile:id-jag']);
        expect(meta.identity_chaining_requested_token_types_supported).toEqual([ID_JAG]);
      }
    });

    let first: string;
    it('the IdP issues a short-lived ID-JAG for the allowed audience, audited without the grant', async () => {
      const r = await requestIdJag({ scope: 'notes:read' });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        access_token: expect.any(String),
        issued_token_type: ID_JAG,
        token_type: 'N_A',
        expires_in: 300,
        scope: 'notes:read',
      });
      first = r.body.access_token!;
      expect(decodeProtectedHeader(first)).toEqual({ alg: 'RS256', typ: 'oauth-id-jag+jwt', kid: expect.any(String) });
      const c = decodeJwt(first);
      expect(c).toEqual({
        iss: idp.url,
        sub: aliceAtIdp.id,
        aud: rs.url,
        client_id: agentAtRs.client_id,
        jti: expect.stringMatching(/^jti_/),
        iat: expect.any(Number),
        exp: (c.iat as number) + 300,
        resource: NOTES,
        scope: 'notes:read',
        auth_time: expect.any(Number),
        email: 'alice@acme.test',
        email_verified: true,
      });
      const rows = await idp.sql<{ actor_id: string; jti: string; details: Record<string, unknown> }>(
        `SELECT actor_id, jti, details FROM audit_events WHERE action = 'id_jag.issued' AND outcome = 'success'`,
      );
      expect(rows).toEqual([
        {
          actor_id: agentAtIdp.id,
          jti: c.jti,
          details: expect.objectContaining({ aud: rs.url, client_id: agentAtRs.client_id, resource: NOTES }),
        },
      ]);
      const everything = JSON.stringify([await idp.sql(`SELECT * FROM audit_events`), idp.logs]);
      expect(everything).not.toContain(first);
      expect(everything).not.toContain(first.split('.')[2]!);
    });

    it('the resource AS exchanges it for an access token for Alice there, linked by her verified email', async () => {
      const r = await present(first);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: expect.any(Number),
        scope: 'notes:read',
      });
      const c = decodeJwt(r.body.access_token!);
      expect(c).toMatchObject({
        iss: rs.url,
        sub: aliceAtRs.id,
        aud: NOTES,
        tier: 'user',
        client_id: agentAtRs.client_id,
        org_id: notesOrg.id,
        scope: 'notes:read',
      });
      const [row] = await rs.sql<{ details: Record<string, unknown> }>(
        `SELECT details FROM audit_events WHERE action = 'token.issued' AND jti = $1`,
        [c.jti],
      );
      expect(row!.details).toMatchObject({
        grant_type: JWT_BEARER,
        assertion: { iss: idp.url, sub: aliceAtIdp.id, linked_by: 'email' },
      });
      expect(await rs.sql(`SELECT issuer, subject, user_id FROM federated_identities`)).toEqual([
        { issuer: idp.url, subject: aliceAtIdp.id, user_id: aliceAtRs.id },
      ]);
    });

    it('the same grant a second time is refused (jti replay)', async () => {
      await expectRefused(await present(first), 'invalid_grant', /"jti" was used before/);
    });

    it('the next grant finds Alice by sub; scopes are the intersection of requested and asserted', async () => {
      const jag = (await requestIdJag({ scope: 'notes:read notes:write' })).body.access_token!;
      const r = await present(jag, { scope: 'notes:write admin', resource: NOTES });
      expect(r.status).toBe(200);
      expect(r.body.scope).toBe('notes:write');
      const c = decodeJwt(r.body.access_token!);
      const [row] = await rs.sql<{ details: { assertion: { linked_by: string } } }>(
        `SELECT details FROM audit_events WHERE action = 'token.issued' AND jti = $1`,
        [c.jti],
      );
      expect(row!.details.assertion.linked_by).toBe('sub');
    });
  });

  describe('DPoP at the jwt-bearer grant', () => {
    it('binds the access token to the key of a proof sent with the grant (RFC 9449)', async () => {
      const dpopKey = testKey('ES256');
      const proof = signJwt(
        dpopKey,
        { jti: randomUUID(), iat: Math.floor(Date.now() / 1000), htm: 'POST', htu: `${rs.url}/oauth/token` },
        { typ: 'dpop+jwt', jwk: dpopKey.publicJwk },
      );
      const r = await fetch(`${rs.url}/oauth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${agentAtRs.client_id}:${agentAtRs.client_secret}`).toString('base64')}`,
          dpop: proof,
        },
        body: new URLSearchParams({ grant_type: JWT_BEARER, assertion: grant() }).toString(),
      });
      const body = (await r.json()) as Record<string, string>;
      expect(r.status).toBe(200);
      expect(body.token_type).toBe('DPoP');
      expect(decodeJwt(body.access_token!).cnf).toEqual({ jkt: expect.any(String) });
    });
  });

  describe('the resource authorization server refuses', () => {
    it('a grant whose typ is not oauth-id-jag+jwt', async () => {
      await expectRefused(await present(grant({}, { typ: 'JWT' })), 'invalid_grant', /"typ"/);
      await expectRefused(await present(grant({}, { typ: undefined })), 'invalid_grant', /"typ"/);
    });

    it('alg none, HS256 keyed with the public key, and a signature by another key', async () => {
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: TEST_IDP,
        sub: 'idp-user-alice',
        aud: rs.url,
        client_id: agentAtRs.client_id,
        jti: randomUUID(),
        iat: now,
        exp: now + 60,
        resource: NOTES,
      };
      await expectRefused(await present(unsignedJwt(claims, { typ: 'oauth-id-jag+jwt' })), 'invalid_grant');
      await expectRefused(
        await present(hmacJwt(JSON.stringify(idpKey.publicJwk), claims, { typ: 'oauth-id-jag+jwt' })),
        'invalid_grant',
        /alg HS256 not allowed/,
      );
      await expectRefused(
        await present(grant({}, {}, otherKey)),
        'invalid_grant',
        /not signed by one of the trusted issuer's keys/,
      );
      // RS256 claimed over an ES256 key's signature: the key does not fit the algorithm.
      await expectRefused(await present(grant({}, { alg: 'RS256', kid: 'test-idp-1' }, otherKey)), 'invalid_grant');
    });

    it('an issuer the organization does not trust, or does not trust for this client', async () => {
      await expectRefused(await present(grant({ iss: 'https://evil.example.test' })), 'invalid_grant', /not trusted/);
      await expectRefused(
        await present(grant({ client_id: strangerAtRs.client_id }), {}, strangerAtRs),
        'invalid_grant',
        /not trusted for this client/,
      );
    });

    it('a grant this server issued itself (its own issuer as iss)', async () => {
      await expectRefused(await present(grant({ iss: rs.url })), 'invalid_grant', /issued by this server/);
    });

    it('an aud that is not this server’s issuer', async () => {
      await expectRefused(await present(grant({ aud: idp.url })), 'invalid_grant', /"aud"/);
      await expectRefused(await present(grant({ aud: [rs.url, idp.url] })), 'invalid_grant', /"aud"/);
      await expectRefused(await present(grant({ aud: `${rs.url}/oauth/token` })), 'invalid_grant', /"aud"/);
    });

    it('a resource that is not a registered resource of the organization', async () => {
      await expectRefused(await present(grant({ resource: OTHER })), 'invalid_grant', /not a registered resource/);
      await expectRefused(
        await present(grant({ resource: 'https://nowhere.example.test/' })),
        'invalid_grant',
        /not a registered resource/,
      );
      await expectRefused(await present(grant({ resource: [NOTES, OTHER] }), { resource: OTHER }), 'invalid_target');
      await expectRefused(await present(grant(), { resource: OTHER }), 'invalid_target', /does not name/);
      await expectRefused(await present(grant({ resource: undefined })), 'invalid_grant', /names a resource/);
    });

    it('a client_id that is not the authenticated client', async () => {
      await expectRefused(
        await present(grant({ client_id: strangerAtRs.client_id })),
        'invalid_grant',
        /"client_id" is not the authenticated client/,
      );
    });

    it('a jti seen before, until the grant expires', async () => {
      const once = grant();
      expect((await present(once)).status).toBe(200);
      await expectRefused(await present(once), 'invalid_grant', /"jti" was used before/);
      await expectRefused(await present(grant({ jti: undefined })), 'invalid_grant', /"jti"/);
    });

    it('an expired grant, one that lives too long, one issued in the future', async () => {
      const now = Math.floor(Date.now() / 1000);
      await expectRefused(await present(grant({ exp: now - 30, iat: now - 90 })), 'invalid_grant', /expired/);
      await expectRefused(await present(grant({ exp: now + 3600 })), 'invalid_grant', /10 minutes/);
      await expectRefused(await present(grant({ iat: now + 120, exp: now + 300 })), 'invalid_grant', /"iat"/);
    });

    it('a user the organization does not have, or whose email is not verified', async () => {
      await expectRefused(
        await present(grant({ sub: 'idp-user-mallory', email: 'mallory@acme.test' })),
        'invalid_grant',
        /no user of this organization/,
      );
      await expectRefused(
        await present(grant({ sub: 'idp-user-bob', email: 'bob@acme.test', email_verified: false })),
        'invalid_grant',
        /no user of this organization is linked/,
      );
      await expectRefused(
        await present(grant({ sub: 'idp-user-bob', email: 'bob@acme.test', email_verified: true })),
        'invalid_grant',
        /email is not verified here/,
      );
      expect(await rs.sql(`SELECT * FROM federated_identities WHERE user_id = $1`, [bobAtRs.id])).toEqual([]);
    });

    it('a second subject of the same issuer claiming an already linked user’s email', async () => {
      expect((await present(grant())).status).toBe(200); // links idp-user-alice of TEST_IDP
      await expectRefused(
        await present(grant({ sub: 'idp-user-impostor' })),
        'invalid_grant',
        /linked to another subject/,
      );
    });

    it('scopes: none left after the intersection gives a token with no scope; nothing beyond the grant', async () => {
      const r = await present(grant({ scope: 'notes:read' }), { scope: 'notes:write' });
      expect(r.status).toBe(200);
      expect(r.body.scope).toBe('');
      const wide = await present(grant({ scope: 'notes:read notes:write admin' }));
      expect(wide.body.scope).toBe('notes:read notes:write');
    });

    it('an app whose grant_types do not include the jwt-bearer grant', async () => {
      const r = await present(grant({ client_id: noGrantAtRs.client_id }), {}, noGrantAtRs);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('unauthorized_client');
    });

    it('a request without a grant, and garbage', async () => {
      expect((await form(rs.url, agentAtRs, { grant_type: JWT_BEARER })).body.error).toBe('invalid_request');
      await expectRefused(await present('not-a-jwt'), 'invalid_grant', /not a compact JWS/);
    });
  });

  describe('the identity provider refuses', () => {
    it('an audience the organization did not allow', async () => {
      const r = await requestIdJag({ audience: 'https://elsewhere.example.test' });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_target');
    });

    it('an app with no client_id at that audience', async () => {
      const own = await asIdp(() =>
        idp.api('POST', `/v1/orgs/${acme.id}/users/login`, {
          body: { client_id: otherAtIdp.client_id, email: 'alice@acme.test', password: PASSWORD },
        }),
      );
      const r = await requestIdJag({ subject_token: own.body.access_token }, otherAtIdp);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_target');
    });

    it('a subject token issued to another client', async () => {
      const r = await requestIdJag({}, otherAtIdp);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_request');
    });

    it('a step token (a delegation for one step) as the subject', async () => {
      const step = await form(idp.url, agentAtIdp, {
        grant_type: EXCHANGE,
        subject_token: aliceToken,
        subject_token_type: AT,
        step: 'summarise',
      });
      expect(step.status).toBe(200);
      const r = await requestIdJag({ subject_token: step.body.access_token! });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_request');
    });

    it('a scope the organization does not let its apps assert', async () => {
      const r = await requestIdJag({ scope: 'notes:admin' });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_scope');
    });

    it('a missing or repeated audience, an actor token, a bad resource', async () => {
      expect((await requestIdJag({ audience: '' })).body.error).toBe('invalid_request');
      expect((await requestIdJag({ actor_token: aliceToken, actor_token_type: AT })).body.error).toBe(
        'invalid_request',
      );
      expect((await requestIdJag({ resource: 'not a uri' })).body.error).toBe('invalid_target');
      const rows = await idp.sql(`SELECT 1 FROM audit_events WHERE action = 'id_jag.issued' AND outcome = 'failure'`);
      expect(rows.length).toBeGreaterThanOrEqual(7);
    });
  });

  describe('the settings API', () => {
    it('validates trusted issuers and audiences, keeps them per org, audits changes', async () => {
      await asRs(async () => {
        const api = (m: string, p: string, body?: unknown) => rs.api(m, p, { token: rsAdmin, body });
        const base = `/v1/orgs/${notesOrg.id}/trusted-issuers`;
        const bad = async (body: Record<string, unknown>, path: RegExp) => {
          const r = await api('POST', base, body);
          expect(r.status).toBe(400);
          expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
          expect(r.body.detail).toMatch(path);
        };
        await bad({ issuer: 'ftp://x.example', jwks_uri: 'https://x.example/jwks', allowed_clients: [] }, /issuer/);
        await bad({ issuer: rs.url, jwks_uri: 'https://x.example/jwks', allowed_clients: [] }, /own issuer/);
        await bad({ issuer: 'https://x.example', allowed_clients: [] }, /jwks/);
        await bad({ issuer: 'https://x.example', jwks: { keys: [idpKey.privateJwk] }, allowed_clients: [] }, /private/);
        await bad(
          {
            issuer: 'https://x.example',
            jwks: { keys: [idpKey.publicJwk] },
            jwks_uri: 'https://x.example/jwks',
            allowed_clients: [],
          },
          /exactly one/,
        );
        await bad(
          {
            issuer: 'https://x.example',
            jwks_uri: 'https://x.example/jwks',
            allowed_clients: ['app_01ARZ3NDEKTSV4RRFFQ69G5FAV'],
          },
          /not an application of this organization/,
        );
        const dup = await api('POST', base, {
          issuer: TEST_IDP,
          jwks: { keys: [idpKey.publicJwk] },
          allowed_clients: [],
        });
        expect(dup.status).toBe(409);

        const created = await api('POST', base, {
          issuer: 'https://x.example',
          jwks_uri: 'https://x.example/jwks',
          allowed_clients: [agentAtRs.id],
        });
        expect(created.status).toBe(201);
        expect(created.body).toEqual({
          id: expect.stringMatching(/^tis_/),
          org_id: notesOrg.id,
          issuer: 'https://x.example',
          jwks: null,
          jwks_uri: 'https://x.example/jwks',
          allowed_clients: [agentAtRs.id],
          created_at: expect.any(String),
        });
        expect((await api('GET', base)).body.data.map((i: { issuer: string }) => i.issuer)).toEqual([
          idp.url,
          TEST_IDP,
          'https://x.example',
        ]);
        expect((await api('GET', `${base}/${created.body.id}`)).status).toBe(200);
        expect((await api('DELETE', `${base}/${created.body.id}`)).status).toBe(204);
        expect((await api('DELETE', `${base}/${created.body.id}`)).status).toBe(404);
        expect((await api('GET', `${base}/nope`)).status).toBe(404);
        const actions = await rs.sql<{ action: string }>(
          `SELECT action FROM audit_events WHERE target_id = $1 ORDER BY chain_seq`,
          [created.body.id],
        );
        expect(actions.map((a) => a.action)).toEqual(['org.trusted_issuer.added', 'org.trusted_issuer.removed']);
      });
    });

    it('the CLI adds, lists and removes both, through the same rules, audited as cli', async () => {
      const cli = (gh: TestGatehouse, args: string[]) => runGatehouseCli(gh, args);
      const added = await cli(rs, [
        'trusted-issuers',
        'add',
        '--org',
        notesOrg.id,
        '--issuer',
        'https://cli.idp.example',
        '--jwks-uri',
        'https://cli.idp.example/jwks',
        '--allow',
        agentAtRs.id,
        '--json',
      ]);
      expect(added.code).toBe(0);
      const issuer = JSON.parse(added.out.join('\n'));
      expect(issuer).toMatchObject({ issuer: 'https://cli.idp.example', allowed_clients: [agentAtRs.id] });
      const listed = await cli(rs, ['trusted-issuers', 'list', '--org', notesOrg.id]);
      expect(listed.out.join('\n')).toContain('https://cli.idp.example');
      expect((await cli(rs, ['trusted-issuers', 'remove', '--org', notesOrg.id, '--id', issuer.id])).code).toBe(0);
      const bad = await cli(rs, [
        'trusted-issuers',
        'add',
        '--org',
        notesOrg.id,
        '--issuer',
        'nope',
        '--jwks-uri',
        'x',
      ]);
      expect(bad.code).not.toBe(0);
      expect(bad.err.join('\n')).toMatch(/issuer/);

      const aud = await cli(idp, [
        'id-jag-audiences',
        'add',
        '--org',
        acme.id,
        '--issuer',
        'https://cli.rs.example',
        '--client',
        `${agentAtIdp.id}=cli-agent`,
        '--scope',
        'files:read',
        '--json',
      ]);
      expect(aud.code).toBe(0);
      const created = JSON.parse(aud.out.join('\n'));
      expect(created).toMatchObject({
        clients: [{ app_id: agentAtIdp.id, client_id: 'cli-agent' }],
        scopes: ['files:read'],
      });
      expect((await cli(idp, ['id-jag-audiences', 'remove', '--org', acme.id, '--id', created.id])).code).toBe(0);
      const actors = await idp.sql<{ actor_id: string }>(
        `SELECT actor_id FROM audit_events WHERE target_id = $1 ORDER BY chain_seq`,
        [created.id],
      );
      expect(actors).toEqual([{ actor_id: 'cli' }, { actor_id: 'cli' }]);
    });

    it('an org admin of another org sees neither list', async () => {
      await asIdp(async () => {
        const other = (
          await idp.api('POST', '/v1/orgs', { token: idpAdmin, body: { name: 'globex', display_name: 'Globex' } })
        ).body;
        const outsider = (await loginAdmin(idp, await cliCreateAdmin(idp, { platform: false, orgIds: [other.id] })))
          .access_token;
        expect((await idp.api('GET', `/v1/orgs/${acme.id}/id-jag-audiences`, { token: outsider })).status).toBe(404);
        expect((await idp.api('GET', `/v1/orgs/${acme.id}/trusted-issuers`, { token: outsider })).status).toBe(404);
        const list = await idp.api('GET', `/v1/orgs/${acme.id}/id-jag-audiences`, { token: idpAdmin });
        expect(list.body.data).toEqual([
          {
            id: expect.stringMatching(/^jaa_/),
            org_id: acme.id,
            issuer: rs.url,
            clients: [{ app_id: agentAtIdp.id, client_id: agentAtRs.client_id }],
            scopes: ['notes:read', 'notes:write'],
            created_at: expect.any(String),
          },
        ]);
      });
    });
  });

  /**
   * An OpenID Connect ID token as the subject (docs/id-jag.md#an-id-token-as-the-subject), the
   * way the MCP SDK's requestJwtAuthorizationGrant sends it: Alice signs in through the hosted
   * pages with openid-client, and the agent trades her ID token for an ID-JAG. Last in the file:
   * the final test disables Alice.
   */
  describe('an ID token as the subject', () => {
    let idToken: string;
    const withIdToken = (params: Record<string, string> = {}, client: App = agentAtIdp) =>
      requestIdJag({ subject_token: idToken, subject_token_type: ID_TOKEN, ...params }, client);
    const lastFailure = async () => {
      const [row] = await idp.sql<{ reason: string; details: Record<string, unknown> }>(
        `SELECT reason, details FROM audit_events WHERE action = 'id_jag.issued' AND outcome = 'failure'
          ORDER BY chain_seq DESC LIMIT 1`,
      );
      return row!;
    };
    const expectIdTokenRefused = async (r: Reply, rule: string) => {
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_grant');
      expect(r.body.access_token).toBeUndefined();
      expect((await lastFailure()).details).toMatchObject({ outcome: 'refused', error: 'invalid_grant', rule });
    };

    beforeAll(async () => {
      const login = { email: 'alice@acme.test', password: PASSWORD };
      const tokens = await signInThroughPages(idp, agentAtIdp, login, CALLBACK);
      idToken = tokens.id_token!;
      expect(tokens.claims()).toMatchObject({ sub: aliceAtIdp.id, aud: agentAtIdp.client_id, org_id: acme.id });
    });

    it('discovery lists the ID token as a subject token type', async () => {
      const meta = (await idp.api('GET', '/.well-known/oauth-authorization-server')).body;
      expect(meta.token_exchange.subject_token_types_supported).toEqual([AT, ID_TOKEN]);
    });

    it('ID token → ID-JAG at the IdP → access token at the resource AS (jwt-bearer)', async () => {
      const r = await withIdToken({ scope: 'notes:read' });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        access_token: expect.any(String),
        issued_token_type: ID_JAG,
        token_type: 'N_A',
        expires_in: 300,
        scope: 'notes:read',
      });
      const jag = r.body.access_token!;
      const id = decodeJwt(idToken);
      expect(decodeJwt(jag)).toMatchObject({
        iss: idp.url,
        sub: aliceAtIdp.id,
        aud: rs.url,
        client_id: agentAtRs.client_id,
        resource: NOTES,
        scope: 'notes:read',
        auth_time: id.auth_time,
        email: 'alice@acme.test',
        email_verified: true,
      });
      const [row] = await idp.sql<{ details: Record<string, unknown> }>(
        `SELECT details FROM audit_events WHERE action = 'id_jag.issued' AND jti = $1`,
        [decodeJwt(jag).jti],
      );
      expect(row!.details).toMatchObject({ outcome: 'issued', subject_type: 'id_token', subject_sid: id.sid });
      const everything = JSON.stringify([await idp.sql(`SELECT * FROM audit_events`), idp.logs]);
      expect(everything).not.toContain(idToken.split('.')[2]!);

      const at = await present(jag);
      expect(at.status).toBe(200);
      expect(decodeJwt(at.body.access_token!)).toMatchObject({
        iss: rs.url,
        sub: aliceAtRs.id,
        aud: NOTES,
        client_id: agentAtRs.client_id,
        scope: 'notes:read',
      });
    });

    it('a malformed subject_token_type is invalid_request; each kind of token only as its own type', async () => {
      const r = await withIdToken({ subject_token_type: 'urn:ietf:params:oauth:token-type:jwt' });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_request');
      // An access token is not an ID token (its typ is at+jwt), nor the reverse.
      await expectIdTokenRefused(await withIdToken({ subject_token: aliceToken }), 'ID token "typ" not acceptable');
      expect((await withIdToken({ subject_token_type: AT })).body.error).toBe('invalid_request');
    });

    it('an ID token issued to another client', async () => {
      await expectIdTokenRefused(await withIdToken({}, otherAtIdp), 'ID token "aud" not acceptable');
    });

    it('an expired ID token', async () => {
      const exp = decodeJwt(idToken).exp!;
      skewMs = (exp + 60) * 1000 - Date.now();
      try {
        await expectIdTokenRefused(await withIdToken(), 'ID token expired');
      } finally {
        skewMs = 0;
      }
    });

    it('an ID token with a foreign signature, and garbage', async () => {
      const { kid } = decodeProtectedHeader(idToken);
      const forged = signJwt(testKey('RS256', kid), decodeJwt(idToken), { typ: 'JWT', kid });
      await expectIdTokenRefused(await withIdToken({ subject_token: forged }), 'ID token signature not ours');
      const unknownKey = signJwt(testKey('RS256', 'not-ours'), decodeJwt(idToken), { typ: 'JWT' });
      await expectIdTokenRefused(await withIdToken({ subject_token: unknownKey }), 'ID token signature not ours');
      const none = unsignedJwt(decodeJwt(idToken), { typ: 'JWT' });
      await expectIdTokenRefused(await withIdToken({ subject_token: none }), 'ID token could not be verified');
      await expectIdTokenRefused(await withIdToken({ subject_token: 'garbage' }), 'ID token malformed');
    });

    it('the ID token of a user whose tokens were revoked since (revoke-tokens)', async () => {
      const r = await asIdp(() =>
        idp.api('POST', `/v1/orgs/${acme.id}/users/${aliceAtIdp.id}/revoke-tokens`, { token: idpAdmin }),
      );
      expect(r.status).toBe(200);
      await expectIdTokenRefused(await withIdToken(), 'user tokens revoked since the ID token');
    });

    it('the ID token of a user disabled since', async () => {
      const patch = (disabled: boolean) =>
        asIdp(() =>
          idp.api('PATCH', `/v1/orgs/${acme.id}/users/${aliceAtIdp.id}`, { token: idpAdmin, body: { disabled } }),
        );
      expect((await patch(true)).status).toBe(200);
      await expectIdTokenRefused(await withIdToken(), 'user disabled');
      expect((await lastFailure()).details.subject_sid).toBe(decodeJwt(idToken).sid);
    });
  });
});
