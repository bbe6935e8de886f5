import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse, clientPost } from './support/gatehouse';

type App = { client_id: string; client_secret: string };

/** GET /v1/revocations: the feed downstream verifiers poll (libs/verifier). */
describe('revocation feed', () => {
  let gh: TestGatehouse;
  let admin: string;
  let acme: { id: string };
  let globex: { id: string };
  let acmeApp: App;
  let acmeFeed: App;
  let globexApp: App;
  let globexFeed: App;

  const form = (path: string, client: App, params: Record<string, string>) => clientPost(gh.url, client, path, params);
  const tokenFor = async (client: App, scope?: string) =>
    (
      (await (
        await form('/oauth/token', client, { grant_type: 'client_credentials', ...(scope ? { scope } : {}) })
      ).json()) as { access_token: string }
    ).access_token;
  const mkApp = async (orgId: string, name: string, scopes: string[]) =>
    (await gh.api('POST', `/v1/orgs/${orgId}/apps`, { token: admin, body: { password_login: true, name, scopes } }))
      .body as App;
  const feed = async (client: App, since?: string) =>
    gh.api('GET', `/v1/revocations${since ? `?since=${since}` : ''}`, { token: await tokenFor(client) });
  /** As if every change so far were older than the settle window. */
  const settle = () =>
    gh.sql(`UPDATE revoked_tokens SET feed_at = feed_at - interval '1 minute';
            UPDATE principal_revocations SET feed_at = feed_at - interval '1 minute'`);

  beforeAll(async () => {
    gh = await startGatehouse();
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    acme = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'A' } })).body;
    globex = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'globex', display_name: 'G' } })).body;
    acmeApp = await mkApp(acme.id, 'api', ['x']);
    acmeFeed = await mkApp(acme.id, 'feed', ['gatehouse:revocations']);
    globexApp = await mkApp(globex.id, 'api', ['x']);
    globexFeed = await mkApp(globex.id, 'feed', ['gatehouse:revocations']);
  });
  afterAll(() => gh?.close());

  it('needs an app token with the gatehouse:revocations scope', async () => {
    const anon = await gh.api('GET', '/v1/revocations');
    expect(anon.status).toBe(401);
    const adminToken = await gh.api('GET', '/v1/revocations', { token: admin });
    expect(adminToken.status).toBe(403);
    const noScope = await gh.api('GET', '/v1/revocations', { token: await tokenFor(acmeApp) });
    expect(noScope.status).toBe(403);
    expect(noScope.headers.get('www-authenticate')).toContain('scope="gatehouse:revocations"');
    const ok = await feed(acmeFeed);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      revoked_tokens: [],
      principal_revocations: [],
      access_stops: [],
      next_cursor: '0',
      has_more: false,
    });
    expect((await gh.api('GET', '/v1/revocations?since=abc', { token: await tokenFor(acmeFeed) })).status).toBe(400);
  });

  it("lists its own org's revoked jtis and marks, never another org's, and moves the cursor once settled", async () => {
    const t1 = await tokenFor(acmeApp);
    const t2 = await tokenFor(globexApp);
    expect((await form('/oauth/revoke', acmeApp, { token: t1 })).status).toBe(200);
    expect((await form('/oauth/revoke', globexApp, { token: t2 })).status).toBe(200);
    const jti1 = JSON.parse(Buffer.from(t1.split('.')[1], 'base64url').toString()).jti;
    const jti2 = JSON.parse(Buffer.from(t2.split('.')[1], 'base64url').toString()).jti;
    await gh.api('POST', `/v1/orgs/${acme.id}/apps/${acmeApp.client_id}/revoke-tokens`, { token: admin });
    const orgMark = await gh.api('POST', `/v1/orgs/${globex.id}/revoke-tokens`, { token: admin });
    // the org's own feed app needs a token issued after its org's mark
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(orgMark.body.tokens_valid_from) - Date.now())));

    // fresh changes are sent at once, but the cursor waits for them to settle
    const fresh = await feed(acmeFeed);
    expect(fresh.body.revoked_tokens).toEqual([{ jti: jti1, expires_at: expect.any(String) }]);
    expect(fresh.body.principal_revocations).toEqual([
      { subject_id: acmeApp.client_id, valid_after: expect.any(String) },
    ]);
    expect(fresh.body.next_cursor).toBe('0');
    const other = await feed(globexFeed);
    expect(other.body.revoked_tokens).toEqual([{ jti: jti2, expires_at: expect.any(String) }]);
    expect(other.body.principal_revocations).toEqual([{ subject_id: globex.id, valid_after: expect.any(String) }]);

    await settle();
    const settled = await feed(acmeFeed);
    expect(settled.body.revoked_tokens).toHaveLength(1);
    const cursor = settled.body.next_cursor;
    expect(BigInt(cursor)).toBeGreaterThan(0n);
    const after = await feed(acmeFeed, cursor);
    expect(after.body).toEqual({
      revoked_tokens: [],
      principal_revocations: [],
      access_stops: [],
      next_cursor: cursor,
      has_more: false,
    });

    // a mark moved forward is a new change after the cursor
    await new Promise((r) => setTimeout(r, 5));
    await gh.api('POST', `/v1/orgs/${acme.id}/apps/${acmeApp.client_id}/revoke-tokens`, { token: admin });
    const moved = await feed(acmeFeed, cursor);
    expect(moved.body.principal_revocations).toEqual([
      { subject_id: acmeApp.client_id, valid_after: expect.any(String) },
    ]);
    expect(Date.parse(moved.body.principal_revocations[0].valid_after)).toBeGreaterThan(
      Date.parse(settled.body.principal_revocations[0].valid_after),
    );
  });

  it('disabling or deleting an app, and deleting a user or changing its password, reach the feed as marks', async () => {
    const before = (await feed(acmeFeed)).body.next_cursor as string;
    const doomed = await mkApp(acme.id, 'doomed', ['x']);
    const paused = await mkApp(acme.id, 'paused', ['x']);
    const pausedToken = await tokenFor(paused);
    const user = { email: 'lee@acme.test', password: 'Lee-Strong-Pass-42' };
    const u1 = (await gh.api('POST', `/v1/orgs/${acme.id}/users`, { token: admin, body: user })).body;
    const u2 = (
      await gh.api('POST', `/v1/orgs/${acme.id}/users`, {
        token: admin,
        body: { email: 'max@acme.test', password: 'Max-Strong-Pass-42' },
      })
    ).body;
    const session = (
      await gh.api('POST', `/v1/orgs/${acme.id}/users/login`, { body: { client_id: acmeFeed.client_id, ...user } })
    ).body;

    expect((await gh.api('DELETE', `/v1/orgs/${acme.id}/apps/${doomed.client_id}`, { token: admin })).status).toBe(204);
    const disable = { token: admin, body: { disabled: true } };
    expect((await gh.api('PATCH', `/v1/orgs/${acme.id}/apps/${paused.client_id}`, disable)).status).toBe(200);
    expect((await gh.api('DELETE', `/v1/orgs/${acme.id}/users/${u2.id}`, { token: admin })).status).toBe(204);
    const newPassword = { token: admin, body: { password: 'Lee-Even-Stronger-43' } };
    expect((await gh.api('PATCH', `/v1/orgs/${acme.id}/users/${u1.id}`, newPassword)).status).toBe(200);

    const marks = ((await feed(acmeFeed, before)).body.principal_revocations as { subject_id: string }[]).map(
      (m) => m.subject_id,
    );
    expect(marks).toEqual(expect.arrayContaining([doomed.client_id, paused.client_id, u2.id, u1.id]));
    expect((await feed(globexFeed, before)).body.principal_revocations).not.toContainEqual(
      expect.objectContaining({ subject_id: doomed.client_id }),
    );
    // …and Gatehouse itself refuses those tokens; re-enabling the app does not revive them.
    expect((await gh.api('GET', '/v1/me', { token: session.access_token })).status).toBe(401);
    const refresh = await form('/oauth/token', acmeFeed, {
      grant_type: 'refresh_token',
      refresh_token: session.refresh_token,
    });
    expect(((await refresh.json()) as { error: string }).error).toBe('invalid_grant');
    expect(
      (
        await gh.api('PATCH', `/v1/orgs/${acme.id}/apps/${paused.client_id}`, {
          token: admin,
          body: { disabled: false },
        })
      ).status,
    ).toBe(200);
    expect((await gh.api('GET', '/v1/me', { token: pausedToken })).status).toBe(401);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = (await gh.api('GET', '/openapi.json')).body;
    const op = doc.paths['/v1/revocations'].get;
    expect(op.parameters).toEqual([expect.objectContaining({ name: 'since', in: 'query', required: false })]);
    expect(op.responses['200'].content['application/json'].schema.required).toContain('next_cursor');
  });
});
