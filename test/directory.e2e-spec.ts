import { AccessTokenService } from '@gatehouse/tokens';
import { cliCreateAdmin, loginAdmin, startGatehouse } from './support/gatehouse';
import type { ApiResponse, CliAdmin, TestGatehouse } from './support/gatehouse';

/**
 * The directory through the management API (docs/design.md §2, §5): org, app and user
 * CRUD and their validation errors, cursor pagination, the client secret shown once, an
 * audit row per change (holding no secret), tenant isolation for org admins (another org
 * is 404, never 403), app/user tokens kept off management routes, and an org delete that
 * cascades to its apps and users and kills their tokens.
 */
describe('directory: orgs, apps, users', () => {
  let gh: TestGatehouse;
  let platform: CliAdmin;
  let pt: string; // platform admin access token
  let seq = 0;
  const STRONG = 'Str0ng-Passw0rd!x';

  const as = (token: string) => ({
    get: (path: string) => gh.api('GET', path, { token }),
    post: (path: string, body: unknown) => gh.api('POST', path, { token, body }),
    patch: (path: string, body: unknown) => gh.api('PATCH', path, { token, body }),
    del: (path: string) => gh.api('DELETE', path, { token }),
  });
  const newOrg = async (prefix = 'org') => {
    const res = await as(pt).post('/v1/orgs', { name: `${prefix}-${++seq}`, display_name: `${prefix} ${seq}` });
    expect(res.status).toBe(201);
    return res.body as { id: string; name: string };
  };
  const newApp = async (orgId: string) => {
    const res = await as(pt).post(`/v1/orgs/${orgId}/apps`, { name: `app ${++seq}`, scopes: ['read'] });
    expect(res.status).toBe(201);
    return res.body as { id: string };
  };
  const newUser = async (orgId: string) => {
    const res = await as(pt).post(`/v1/orgs/${orgId}/users`, { email: `user${++seq}@example.test`, password: STRONG });
    expect(res.status).toBe(201);
    return res.body as { id: string };
  };
  type AuditRow = { outcome: string; actor_id: string; org_id: string; request_id: string; details: object };
  const audit = (action: string, target: string) =>
    gh.sql<AuditRow>(
      `SELECT outcome, actor_id, org_id, request_id, details FROM audit_events WHERE action = $1 AND target_id = $2`,
      [action, target],
    );
  const byPlatform = () => ({ outcome: 'success', actor_id: platform.id });
  /** Rows of `table` whose `column`, as text, contains `needle`. */
  const rowsContaining = (table: string, column: string, needle: string) =>
    gh.sql(`SELECT 1 FROM ${table} WHERE ${column}::text LIKE '%' || $1 || '%'`, [needle]);
  const expectInvalid = (res: ApiResponse, path: string) => {
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  };
  const mintFor = async (tier: 'app' | 'user', sub: string, appId: string, org: { id: string; name: string }) =>
    (await gh.app.get(AccessTokenService).mint({ tier, sub, clientId: appId, scopes: ['read'], ttlS: 600, org })).token;

  beforeAll(async () => {
    gh = await startGatehouse();
    platform = await cliCreateAdmin(gh, { platform: true });
    pt = (await loginAdmin(gh, platform)).access_token;
  });
  afterAll(() => gh?.close());

  it('creates, reads, renames and audits an organization', async () => {
    const created = await as(pt).post('/v1/orgs', { name: 'acme-corp', display_name: 'Acme Corp' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'acme-corp', display_name: 'Acme Corp' });
    const id = created.body.id;
    expect(id).toMatch(/^org_[0-9A-Z]{26}$/);
    expect((await as(pt).get(`/v1/orgs/${id}`)).body).toEqual(created.body);

    const renamed = await as(pt).patch(`/v1/orgs/${id}`, { name: 'acme-inc', display_name: 'Acme Inc' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id, name: 'acme-inc', display_name: 'Acme Inc' });
    expect((await as(pt).get(`/v1/orgs/${id}`)).body.name).toBe('acme-inc');

    const [row] = await audit('org.created', id);
    expect(row).toMatchObject({ ...byPlatform(), org_id: id, details: { name: 'acme-corp' } });
    expect(row.request_id).toBe(created.headers.get('x-request-id'));
    const [updated] = await audit('org.updated', id);
    expect(updated).toMatchObject({ ...byPlatform(), details: { changed: ['name', 'display_name'] } });
  });

  it('validates organization bodies and refuses a duplicate name with 409', async () => {
    const post = (body: unknown) => as(pt).post('/v1/orgs', body);
    const unknown = await post({ name: 'valid-name', display_name: 'X', owner: 'me' });
    expectInvalid(unknown, '');
    expect(unknown.body.errors[0].message).toMatch(/owner/);
    for (const name of ['Acme', 'ab', '-acme', 'acme-', 'ac_me', 'a'.repeat(64)])
      expectInvalid(await post({ name, display_name: 'X' }), 'name');
    expectInvalid(await post({ name: 'no-display' }), 'display_name');
    const { id } = await newOrg('dup');
    expectInvalid(await as(pt).patch(`/v1/orgs/${id}`, {}), '');

    const first = await post({ name: 'taken-name', display_name: 'One' });
    expect(first.status).toBe(201);
    const dup = await post({ name: 'taken-name', display_name: 'Two' });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('conflict');
    expect((await as(pt).patch(`/v1/orgs/${id}`, { name: 'taken-name' })).status).toBe(409);
    expect(await gh.sql(`SELECT id FROM organizations WHERE name = 'valid-name' OR name = 'no-display'`)).toEqual([]);
    expect((await as(pt).get('/v1/orgs/org_01ARZ3NDEKTSV4RRFFQ69G5FAV')).status).toBe(404);
    expect((await as(pt).get('/v1/orgs/not-an-id')).status).toBe(404);
  });

  it('pages through organizations two at a time and rejects bad limits and cursors', async () => {
    for (let i = 0; i < 3; i++) await newOrg('page');
    const all = (await gh.sql<{ id: string }>(`SELECT id FROM organizations ORDER BY id`)).map((r) => r.id);
    expect(all.length).toBeGreaterThanOrEqual(5);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: ApiResponse = await as(pt).get(`/v1/orgs?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((o: { id: string }) => o.id));
      cursor = res.body.next_cursor;
      if (cursor) expect(res.body.data).toHaveLength(2);
    } while (cursor && seen.length <= all.length);
    expect(seen).toEqual(all);

    for (const limit of ['0', '201', 'abc', '-1', '2.5'])
      expectInvalid(await as(pt).get(`/v1/orgs?limit=${limit}`), 'limit');
    expectInvalid(await as(pt).get('/v1/orgs?cursor=not-a-cursor'), 'cursor');
    const foreign = Buffer.from(JSON.stringify({ after: "' OR 1=1 --" })).toString('base64url');
    expectInvalid(await as(pt).get(`/v1/orgs?cursor=${foreign}`), 'cursor');
    expectInvalid(await as(pt).get('/v1/orgs?offset=2'), '');
  });

  it('creates an app with its client secret shown once, never in GET or list, never in the audit log', async () => {
    const org = await newOrg('apps');
    const scopes = ['invoices:read', 'invoices:write'];
    const rate_limit = { requests: 100, per_seconds: 10 };
    const res = await as(pt).post(`/v1/orgs/${org.id}/apps`, { name: 'billing', scopes, rate_limit, token_ttl_s: 300 });
    expect(res.status).toBe(201);
    const { id, client_secret: secret } = res.body;
    expect(id).toMatch(/^app_[0-9A-Z]{26}$/);
    expect(res.body).toMatchObject({ client_id: id, org_id: org.id, scopes, rate_limit, token_ttl_s: 300 });
    expect(res.body.token_rate_limit).toEqual({ requests: 6000, per_seconds: 60 });
    expect(secret).toMatch(/^ghs_.{40,}/);

    const got = await as(pt).get(`/v1/orgs/${org.id}/apps/${id}`);
    expect(got.status).toBe(200);
    expect(got.body.client_id).toBe(id);
    expect(got.body.client_secret).toBeUndefined();
    const list = await as(pt).get(`/v1/orgs/${org.id}/apps`);
    expect(list.body.data.map((a: { id: string }) => a.id)).toEqual([id]);
    for (const r of [got, list]) expect(r.text).not.toContain(secret);

    const [row] = await audit('app.created', id);
    expect(row).toMatchObject({ ...byPlatform(), org_id: org.id, details: { name: 'billing' } });
    const raw = secret.slice(4);
    expect(await rowsContaining('audit_events', 'details', 'billing')).toHaveLength(1); // the probe finds what is there
    expect(await rowsContaining('audit_events', 'details', raw)).toEqual([]);
    expect(await rowsContaining('application_secrets', 'secret_hash', raw)).toEqual([]);
    expect(gh.logs.some((l) => l.includes(id))).toBe(true); // requests naming the app are logged ...
    expect(gh.logs.some((l) => l.includes(raw))).toBe(false); // ... its secret never

    const patched = await as(pt).patch(`/v1/orgs/${org.id}/apps/${id}`, { scopes: ['invoices:read'], disabled: true });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ scopes: ['invoices:read'], disabled: true });
    const [updated] = await audit('app.updated', id);
    expect(updated.details).toMatchObject({ changed: ['scopes', 'disabled'], scopes: ['invoices:read'] });

    expect((await as(pt).del(`/v1/orgs/${org.id}/apps/${id}`)).status).toBe(204);
    expect((await as(pt).get(`/v1/orgs/${org.id}/apps/${id}`)).status).toBe(404);
    expect(await audit('app.deleted', id)).toHaveLength(1);
  });

  it('validates app bodies: unknown fields, reserved scopes, TTL bounds, duplicate names', async () => {
    const org = await newOrg('appval');
    const post = (body: unknown) => as(pt).post(`/v1/orgs/${org.id}/apps`, body);
    const typo = await post({ name: 'a', scope: ['read'] });
    expectInvalid(typo, '');
    expect(typo.body.errors.some((e: { message: string }) => /scope/.test(e.message))).toBe(true);
    expectInvalid(await post({ name: 'a', scopes: ['read', 'admin'] }), 'scopes.1');
    expectInvalid(await post({ name: 'a', scopes: ['mfa:enroll'] }), 'scopes.0');
    expectInvalid(await post({ name: 'a', scopes: [] }), 'scopes');
    expectInvalid(await post({ name: 'a', scopes: ['read'], token_ttl_s: 59 }), 'token_ttl_s');
    expectInvalid(await post({ name: 'a', scopes: ['read'], token_ttl_s: 3601 }), 'token_ttl_s');
    const rate_limit = { requests: 0, per_seconds: 1 };
    expectInvalid(await post({ name: 'a', scopes: ['read'], rate_limit }), 'rate_limit.requests');
    expect(await gh.sql(`SELECT id FROM applications WHERE org_id = $1`, [org.id])).toEqual([]);
    expect((await post({ name: 'same', scopes: ['read'] })).status).toBe(201);
    const dup = await post({ name: 'same', scopes: ['read'] });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('conflict');
  });

  it('creates users without ever returning or auditing the password', async () => {
    const org = await newOrg('users');
    const password = 'Blue-Horse-Battery-7';
    const res = await as(pt).post(`/v1/orgs/${org.id}/users`, { email: 'Ada@Example.TEST', password });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ org_id: org.id, email: 'ada@example.test', disabled: false });
    expect(res.body.id).toMatch(/^usr_[0-9A-Z]{26}$/);
    const id = res.body.id;
    const got = await as(pt).get(`/v1/orgs/${org.id}/users/${id}`);
    const list = await as(pt).get(`/v1/orgs/${org.id}/users`);
    expect(list.body.data.map((u: { id: string }) => u.id)).toEqual([id]);
    for (const r of [res, got, list]) expect(r.text).not.toMatch(/password|hash|\$2[aby]\$|Blue-Horse/i);
    const [stored] = await gh.sql<{ password_hash: string }>(`SELECT password_hash FROM users WHERE id = $1`, [id]);
    expect(stored.password_hash).toMatch(/^\$2[aby]\$/);

    expect(await audit('user.created', id)).toEqual([expect.objectContaining({ ...byPlatform(), org_id: org.id })]);
    const patch = { password: 'Green-Lamp-Ocean-42', disabled: true };
    const changed = await as(pt).patch(`/v1/orgs/${org.id}/users/${id}`, patch);
    expect(changed.status).toBe(200);
    expect(changed.body.disabled).toBe(true);
    expect((await audit('user.updated', id))[0].details).toEqual({ changed: ['password', 'disabled'] });
    expect(await gh.sql(`SELECT id FROM audit_events WHERE details::text ~ 'Blue-Horse|Green-Lamp'`)).toEqual([]);
    expect(gh.logs.some((l) => /Blue-Horse|Green-Lamp/.test(l))).toBe(false);

    expect((await as(pt).del(`/v1/orgs/${org.id}/users/${id}`)).status).toBe(204);
    expect((await as(pt).get(`/v1/orgs/${org.id}/users/${id}`)).status).toBe(404);
    expect(await audit('user.deleted', id)).toHaveLength(1);
  });

  it('validates users: weak passwords, unknown fields, duplicate emails', async () => {
    const org = await newOrg('userval');
    const post = (body: unknown) => as(pt).post(`/v1/orgs/${org.id}/users`, body);
    for (const password of ['Sh0rt-pw!', 'alllowercaseletters', 'aaaaaaaaaaaaaaaaA1'])
      expectInvalid(await post({ email: 'weak@example.test', password }), 'password');
    expectInvalid(await post({ email: 'not-an-email', password: STRONG }), 'email');
    expectInvalid(await post({ email: 'x@example.test', password: STRONG, role: 'admin' }), '');
    expect(await gh.sql(`SELECT id FROM users WHERE org_id = $1`, [org.id])).toEqual([]);
    expect((await post({ email: 'dup@example.test', password: STRONG })).status).toBe(201);
    const dup = await post({ email: 'DUP@example.test', password: 'An0ther-Passw0rd!' });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('conflict');
  });

  it('limits an org admin to their own organizations; another org is not found', async () => {
    const mine = await newOrg('mine');
    const theirs = await newOrg('theirs');
    const theirApp = await newApp(theirs.id);
    const theirUser = await newUser(theirs.id);
    const orgAdmin = await cliCreateAdmin(gh, { platform: false, orgIds: [mine.id] });
    const oa = as((await loginAdmin(gh, orgAdmin)).access_token);

    const list = await oa.get('/v1/orgs');
    expect(list.status).toBe(200);
    expect(list.body.data.map((o: { id: string }) => o.id)).toEqual([mine.id]);
    expect((await oa.get(`/v1/orgs/${mine.id}`)).status).toBe(200);

    const missing = await oa.get('/v1/orgs/org_01ARZ3NDEKTSV4RRFFQ69G5FAV');
    for (const res of [
      await oa.get(`/v1/orgs/${theirs.id}`),
      await oa.patch(`/v1/orgs/${theirs.id}`, { display_name: 'Mine now' }),
      await oa.del(`/v1/orgs/${theirs.id}`),
      await oa.get(`/v1/orgs/${theirs.id}/apps`),
      await oa.post(`/v1/orgs/${theirs.id}/apps`, { name: 'sneaky', scopes: ['read'] }),
      await oa.get(`/v1/orgs/${theirs.id}/apps/${theirApp.id}`),
      await oa.get(`/v1/orgs/${mine.id}/apps/${theirApp.id}`),
      await oa.get(`/v1/orgs/${theirs.id}/users`),
      await oa.post(`/v1/orgs/${theirs.id}/users`, { email: 'sneaky@example.test', password: STRONG }),
      await oa.patch(`/v1/orgs/${mine.id}/users/${theirUser.id}`, { disabled: true }),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
    expect((await oa.get(`/v1/orgs/${theirs.id}`)).body.detail).toBe(missing.body.detail);
    expect((await as(pt).get(`/v1/orgs/${theirs.id}`)).body.display_name).toBe(theirs.name.replace('-', ' '));
    expect(await gh.sql(`SELECT id FROM applications WHERE name = 'sneaky'`)).toEqual([]);
    expect(await gh.sql(`SELECT disabled FROM users WHERE id = $1`, [theirUser.id])).toEqual([{ disabled: false }]);

    const create = await oa.post('/v1/orgs', { name: 'org-admin-made', display_name: 'No' });
    expect(create.status).toBe(403);
    expect(create.body.code).toBe('forbidden');
    expect((await oa.patch(`/v1/orgs/${mine.id}`, { name: 'renamed-by-oa' })).status).toBe(403);
    expect((await oa.del(`/v1/orgs/${mine.id}`)).status).toBe(403);
    expect((await oa.patch(`/v1/orgs/${mine.id}`, { display_name: 'Ours' })).status).toBe(200);
    expect((await oa.post(`/v1/orgs/${mine.id}/apps`, { name: 'ours', scopes: ['read'] })).status).toBe(201);
  });

  it('keeps app and user tokens off the management API', async () => {
    const org = await newOrg('tiers');
    const app = await newApp(org.id);
    const user = await newUser(org.id);
    const tokens = {
      app: await mintFor('app', app.id, app.id, org),
      user: await mintFor('user', user.id, app.id, org),
    };
    for (const [tier, token] of Object.entries(tokens)) {
      const me = await as(token).get('/v1/me');
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ tier, org_id: org.id });
      for (const res of [
        await as(token).get('/v1/orgs'),
        await as(token).get(`/v1/orgs/${org.id}`),
        await as(token).get(`/v1/orgs/${org.id}/apps`),
        await as(token).post(`/v1/orgs/${org.id}/users`, { email: `by-${tier}@example.test`, password: STRONG }),
        await as(token).del(`/v1/orgs/${org.id}`),
      ]) {
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('forbidden');
      }
    }
    expect(await gh.sql(`SELECT email FROM users WHERE org_id = $1`, [org.id])).toHaveLength(1);
    expect(await gh.sql(`SELECT id FROM organizations WHERE id = $1`, [org.id])).toHaveLength(1);
  });

  it('deleting an org removes its apps and users and makes their tokens useless', async () => {
    const org = await newOrg('doomed');
    const app = await newApp(org.id);
    const user = await newUser(org.id);
    const appToken = await mintFor('app', app.id, app.id, org);
    const userToken = await mintFor('user', user.id, app.id, org);
    expect((await as(appToken).get('/v1/me')).status).toBe(200);
    expect((await as(userToken).get('/v1/me')).status).toBe(200);

    expect((await as(pt).del(`/v1/orgs/${org.id}`)).status).toBe(204);
    expect((await as(pt).get(`/v1/orgs/${org.id}`)).status).toBe(404);
    expect((await as(pt).get(`/v1/orgs/${org.id}/apps`)).status).toBe(404);
    for (const table of ['applications', 'users', 'application_secrets']) {
      expect(await gh.sql(`SELECT id FROM ${table} WHERE org_id = $1`, [org.id])).toEqual([]);
    }
    for (const token of [appToken, userToken]) {
      const res = await as(token).get('/v1/me');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_token');
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
    const [deleted] = await audit('org.deleted', org.id);
    expect(deleted).toMatchObject({ ...byPlatform(), details: { apps: 1, users: 1 } });
  });
});
