import { AUDIT_ACTIONS } from '@gatehouse/audit';
import { ControlAccessGate } from '@gatehouse/control';
import { KeyScheduleService } from '@gatehouse/keys';
import { ClientResolver } from '@gatehouse/oauth';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'otplib';
import { Client } from 'pg';
import { browserSignInJourney } from './support/browser-sign-in-journey';
import { cliCreateAdmin, loginAdmin, startGatehouse, type TestGatehouse, clientPost } from './support/gatehouse';
import { assertionClaims, signJwt, testKey, unsignedJwt } from './support/jose-keys';
import { SwitchableGate } from './support/switchable-gate';
import { signInExperienceJourney } from './support/sign-in-journey';

/**
 * Audit completeness: the action names documented in docs/audit-events.md are
 * exactly the ones the code knows, one journey produces every one of them, and every one
 * is found through GET /v1/audit.
 */
describe('every documented audit action is produced and found through GET /v1/audit', () => {
  let gh: TestGatehouse;
  const gate = new SwitchableGate();
  const documented = (() => {
    const md = readFileSync(join(__dirname, '..', 'docs', 'audit-events.md'), 'utf8');
    const names = new Set<string>();
    for (const m of md.matchAll(/^\*\*`([a-z_.]+)`\*\*/gm)) names.add(m[1]!);
    for (const m of md.matchAll(/^\| `([a-z_]+(?:\.[a-z_]+)+)` \|/gm)) names.add(m[1]!);
    return [...names].sort();
  })();

  beforeAll(async () => {
    gh = await startGatehouse({ accessGate: gate, env: { GATEHOUSE_CIMD_ALLOW_LOOPBACK: 'true' } });
  });
  afterAll(() => gh?.close());

  it('the docs list exactly the actions in AUDIT_ACTIONS', () => {
    expect(documented).toEqual([...AUDIT_ACTIONS].sort());
  });

  it('a full journey writes each of them', async () => {
    type App = { client_id: string; client_secret: string; secret_id: string };
    const form = (path: string, app: App, params: Record<string, string>) =>
      clientPost(gh.url, app, path, params).then(async (r) => {
        const text = await r.text();
        return { status: r.status, body: (text ? JSON.parse(text) : {}) as Record<string, string> };
      });

    // Administrators: admin.created, login (password, mfa), token.issued, key.created at start.
    const platformAdmin = await cliCreateAdmin(gh, { platform: true });
    const session = await loginAdmin(gh, platformAdmin);
    const admin = session.access_token;

    // token.refreshed, token.refresh_reuse_detected, admin.logout
    const refreshed = await gh.api('POST', '/v1/admin/token/refresh', {
      body: { refresh_token: session.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    expect(
      (await gh.api('POST', '/v1/admin/token/refresh', { body: { refresh_token: session.refresh_token } })).status,
    ).toBe(400);
    const second = await loginAdmin(gh, platformAdmin);
    expect(
      (
        await gh.api('POST', '/v1/admin/logout', {
          token: second.access_token,
          body: { refresh_token: second.refresh_token },
        })
      ).status,
    ).toBe(204);

    // admin.recovery_code.used
    const step1 = await gh.api('POST', '/v1/admin/login', {
      body: { email: platformAdmin.email, password: platformAdmin.password },
    });
    const recovered = await gh.api('POST', '/v1/admin/login/mfa', {
      body: { mfa_token: step1.body.mfa_token, code: platformAdmin.mfa.recovery_codes.pop() },
    });
    expect(recovered.status).toBe(200);

    // admin.mfa.enrolled, admin.mfa.activated
    const deferred = await cliCreateAdmin(gh, { platform: true, deferMfa: true });
    const enrolToken = (
      await gh.api('POST', '/v1/admin/login', { body: { email: deferred.email, password: deferred.password } })
    ).body.access_token;
    const enrol = await gh.api('POST', '/v1/admin/mfa/enroll', { token: enrolToken });
    const code = await generate({ secret: enrol.body.secret });
    expect((await gh.api('POST', '/v1/admin/mfa/activate', { token: enrolToken, body: { code } })).status).toBe(200);

    // admin.login.locked: the third wrong password starts a back-off; an attempt inside it is refused.
    const victim = await cliCreateAdmin(gh, { platform: true });
    for (let i = 0; i < 3; i++) {
      await gh.api('POST', '/v1/admin/login', { body: { email: victim.email, password: 'Wrong-Password-123' } });
    }
    const locked = await gh.api('POST', '/v1/admin/login', {
      body: { email: victim.email, password: victim.password },
    });
    expect(locked.status).toBe(429);

    // Organizations, applications, users, permissions.
    const org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    // Resources (docs/resources.md) and the client registration policy.
    const res = await gh.api('POST', `/v1/orgs/${org.id}/resources`, {
      token: admin,
      body: { identifier: 'https://api.acme.test', name: 'API', scopes: [{ name: 'x' }] },
    });
    expect(res.status).toBe(201);
    const resPath = `/v1/orgs/${org.id}/resources/${res.body.id}`;
    expect((await gh.api('PATCH', resPath, { token: admin, body: { name: 'Acme API' } })).status).toBe(200);
    expect((await gh.api('DELETE', resPath, { token: admin })).status).toBe(204);
    const registration = {
      dynamic_client_registration: { enabled: true },
      client_id_metadata_documents: { policy: 'off', domains: [] },
    };
    expect(
      (await gh.api('PUT', `/v1/orgs/${org.id}/client-registration`, { token: admin, body: registration })).status,
    ).toBe(200);
    const other = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'other', display_name: 'O' } })).body;
    // Self-registered clients (docs/client-registration.md): a metadata document fetched for
    // `other` (default policy: any), a block and an unblock, a dynamic registration and its deletion.
    const docServer = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(cimdDoc)),
    );
    await new Promise<void>((r) => docServer.listen(0, '127.0.0.1', r));
    const cimdId = `http://127.0.0.1:${(docServer.address() as AddressInfo).port}/client.json`;
    const cimdDoc = { client_id: cimdId, client_name: 'Agent', redirect_uris: ['http://127.0.0.1:9/cb'] };
    await gh.app.get(ClientResolver).resolve(cimdId, { orgId: other.id, meta: { requestId: null, sourceIp: null } });
    docServer.close();
    const blockPath = `/v1/orgs/${other.id}/client-registration/clients`;
    expect((await gh.api('POST', `${blockPath}/block`, { token: admin, body: { client_id: cimdId } })).status).toBe(
      200,
    );
    expect((await gh.api('POST', `${blockPath}/unblock`, { token: admin, body: { client_id: cimdId } })).status).toBe(
      200,
    );
    const dcr = await gh.api('POST', '/oauth/register', { body: { redirect_uris: ['http://127.0.0.1:9/cb'] } });
    expect(dcr.status).toBe(201);
    expect(
      (
        await gh.api('DELETE', `/oauth/register/${dcr.body.client_id}`, {
          headers: { authorization: `Bearer ${dcr.body.registration_access_token}` },
        })
      ).status,
    ).toBe(204);
    expect((await gh.api('PATCH', `/v1/orgs/${org.id}`, { token: admin, body: { display_name: 'ACME' } })).status).toBe(
      200,
    );
    const app = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        token: admin,
        body: { password_login: true, name: 'svc', scopes: ['x'], rate_limit: { requests: 1, per_seconds: 60 } },
      })
    ).body as App;
    const outsider = (
      await gh.api('POST', `/v1/orgs/${other.id}/apps`, {
        token: admin,
        body: { password_login: true, name: 'o', scopes: ['x'] },
      })
    ).body as App;
    const patched = await gh.api('PATCH', `/v1/orgs/${org.id}/apps/${app.client_id}`, {
      token: admin,
      body: { scopes: ['x', 'y'] },
    });
    expect(patched.status).toBe(200);
    const [perm] = await gh.sql(`SELECT details FROM audit_events WHERE action = 'app.permissions.changed'`);
    expect(perm).toEqual({ details: { scopes: { added: ['y'], removed: [] } } });
    const secret = await gh.api('POST', `/v1/orgs/${org.id}/apps/${app.client_id}/secrets`, { token: admin, body: {} });
    expect(secret.status).toBe(201);
    expect(
      (await gh.api('DELETE', `/v1/orgs/${org.id}/apps/${app.client_id}/secrets/${secret.body.id}`, { token: admin }))
        .status,
    ).toBe(204);
    const user = (
      await gh.api('POST', `/v1/orgs/${org.id}/users`, {
        token: admin,
        body: { email: 'ann@acme.test', password: 'Ann-Strong-Pass-42' },
      })
    ).body;
    expect(
      (await gh.api('PATCH', `/v1/orgs/${org.id}/users/${user.id}`, { token: admin, body: { disabled: false } }))
        .status,
    ).toBe(200);
    const login = await gh.api('POST', `/v1/orgs/${org.id}/users/login`, {
      body: { client_id: app.client_id, email: 'ann@acme.test', password: 'Ann-Strong-Pass-42' },
    });
    expect(login.status).toBe(200);

    // client.authentication_failed: a private_key_jwt assertion with alg none.
    const keyApp = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        token: admin,
        body: {
          password_login: true,
          name: 'keyed',
          scopes: ['x'],
          token_endpoint_auth_method: 'private_key_jwt',
          jwks: { keys: [testKey('ES256').publicJwk] },
        },
      })
    ).body as App;
    const unsigned = await fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: `${unsignedJwt(assertionClaims(keyApp.client_id, gh.url))}AA`,
      }).toString(),
    });
    expect(unsigned.status).toBe(401);
    // dpop.proof_rejected: a DPoP proof for another endpoint.
    const proofKey = testKey('ES256');
    const wrongProof = await fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}`,
        dpop: signJwt(
          proofKey,
          { jti: 'j1', iat: Math.floor(Date.now() / 1000), htm: 'POST', htu: `${gh.url}/oauth/revoke` },
          { typ: 'dpop+jwt', jwk: proofKey.publicJwk },
        ),
      },
      body: 'grant_type=client_credentials',
    });
    expect(wrongProof.status).toBe(400);

    // access.denied, access.review: the access gate stops an issuance, then sends one to review.
    gate.denyAll();
    expect((await form('/oauth/token', app, { grant_type: 'client_credentials' })).status).toBe(403);
    gate.stop = { ...gate.stop!, outcome: 'review', approvalId: 'apr_test' };
    expect((await form('/oauth/token', app, { grant_type: 'client_credentials' })).body.approval_id).toBe('apr_test');
    gate.reset();

    // token.withheld (docs/control.md#live): the token's audit INSERT is held behind the chain
    // head's lock; meanwhile the gate turns to a stop and a change to a cached table commits;
    // the issuer sees the raced epoch, decides again and withholds the token.
    const holder = new Client({ connectionString: gh.db.url });
    await holder.connect();
    await holder.query('BEGIN');
    const [{ pid }] = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
    await holder.query('SELECT 1 FROM audit_chain_head WHERE id = 1 FOR UPDATE');
    const raced = form('/oauth/token', app, { grant_type: 'client_credentials' });
    for (let i = 0; i < 400; i++) {
      if ((await gh.sql(`SELECT 1 FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, [pid])).length) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    gate.denyAll();
    await gh.sql(`UPDATE organizations SET display_name = display_name WHERE id = $1`, [org.id]);
    await holder.query('COMMIT');
    await holder.end();
    expect((await raced).status).toBe(403);
    gate.reset();

    // token.exchanged: the app, granted token exchange, narrows its own token for one step.
    await gh.api('PATCH', `/v1/orgs/${org.id}/apps/${app.client_id}`, {
      token: admin,
      body: { grant_types: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'] },
    });
    const own = (await form('/oauth/token', app, { grant_type: 'client_credentials' })).body.access_token!;
    const stepped = await form('/oauth/token', app, {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: own,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      step: 'coverage',
    });
    expect(stepped.status).toBe(200);

    // ID-JAG (docs/id-jag.md): an audience and a trusted issuer added and removed; Ann's token
    // exchanged for an ID-JAG (id_jag.issued); a grant that is not one presented (id_jag.rejected).
    const audiences = `/v1/orgs/${org.id}/id-jag-audiences`;
    const audience = await gh.api('POST', audiences, {
      token: admin,
      body: { issuer: 'https://notes.example.test', clients: [{ app_id: app.client_id, client_id: 'notes-agent' }] },
    });
    expect(audience.status).toBe(201);
    const jag = await form('/oauth/token', app, {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      requested_token_type: 'urn:ietf:params:oauth:token-type:id-jag',
      subject_token: login.body.access_token as string,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: 'https://notes.example.test',
    });
    expect(jag.status).toBe(200);
    expect((await gh.api('DELETE', `${audiences}/${audience.body.id}`, { token: admin })).status).toBe(204);
    const issuers = `/v1/orgs/${org.id}/trusted-issuers`;
    const trusted = await gh.api('POST', issuers, {
      token: admin,
      body: {
        issuer: 'https://idp.example.test',
        jwks: { keys: [testKey('ES256').publicJwk] },
        allowed_clients: [app.client_id],
      },
    });
    expect(trusted.status).toBe(201);
    await gh.api('PATCH', `/v1/orgs/${org.id}/apps/${app.client_id}`, {
      token: admin,
      body: {
        grant_types: [
          'client_credentials',
          'urn:ietf:params:oauth:grant-type:token-exchange',
          'urn:ietf:params:oauth:grant-type:jwt-bearer',
        ],
      },
    });
    const rejected = await form('/oauth/token', app, {
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: 'not-a-grant',
    });
    expect(rejected.body.error).toBe('invalid_grant');
    expect((await gh.api('DELETE', `${issuers}/${trusted.body.id}`, { token: admin })).status).toBe(204);

    // Control layer (docs/control.md): every state change, a review, an approval used, through
    // the real control gate behind the switchable one.
    gate.fallback = gh.app.get(ControlAccessGate);
    {
      const ctl = (method: string, path: string, body?: unknown) =>
        gh.api(method, `/v1/orgs/${org.id}${path}`, { token: admin, body }).then((r) => {
          expect(r.status).toBeLessThan(300);
          return r.body;
        });
      const basic = Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64');
      const evaluate = (action: string) =>
        gh
          .api('POST', '/access/v1/evaluation', {
            headers: { authorization: `Basic ${basic}` },
            body: {
              subject: { type: 'app', id: app.client_id },
              action: { name: action },
              resource: { type: 'svc', id: 'web' },
            },
          })
          .then((r) => r.body);
      await ctl('PUT', '/contract', { status: 'active', reason: 'signed' });
      await ctl('PUT', '/billing', { status: 'trialing' });
      await ctl('PUT', '/entitlements/agents', { status: 'active' });
      await ctl('DELETE', '/entitlements/agents');
      await ctl('PUT', '/policy', { required_version: 'v1', document_url: 'https://acme.test/terms' });
      expect((await evaluate('read')).context.code).toBe('policy_not_accepted');
      const userToken = login.body.access_token as string;
      expect(
        (await gh.api('POST', '/v1/me/policy-acceptances', { token: userToken, body: { version: 'v1' } })).status,
      ).toBe(201);
      await ctl('POST', '/policy/acceptances', { version: 'v1' });
      await ctl('PUT', '/approval-rules', { actions: ['deploy'] });
      const review = await evaluate('deploy');
      expect(review.context.outcome).toBe('review');
      await ctl('POST', `/approvals/${review.context.approval_id}/approve`, { note: 'change ticket 7' });
      expect((await evaluate('deploy')).decision).toBe(true);
      const again = await evaluate('deploy');
      await ctl('POST', `/approvals/${again.context.approval_id}/reject`, { note: 'not now' });
      await ctl('PUT', '/approval-rules', { actions: [] });
      await ctl('PUT', '/package-map', {
        scopes: { 'reports:read': 'reports' },
        routes: [{ route: 'GET /reports*', package: 'reports' }],
      });
      await ctl('PUT', '/package-map', {});
      await ctl('PUT', '/policy', { required_version: null });
      const pause = await ctl('POST', '/pauses', {
        target: { type: 'workflow', id: 'nightly' },
        reason: 'runaway job',
      });
      await ctl('POST', `/pauses/${pause.id}/resume`, { review_note: 'fixed' });
      await ctl('POST', '/control/review-requests', { subject: 'contract', note: 'renewal signed' });
    }
    gate.fallback = null;
    // managed_token.*, anomaly.*: Ann's managed token for the app as its host, created and
    // regenerated, re-hosted, exchanged past an exchange-rate threshold of 1 under an
    // auto-suspend policy (flagged, suspended), acknowledged, cleared, revoked.
    const agent = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        token: admin,
        body: {
          password_login: true,
          name: 'agent',
          scopes: ['read'],
          grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'],
        },
      })
    ).body;
    const annToken = (
      await gh.api('POST', `/v1/orgs/${org.id}/users/login`, {
        body: { client_id: agent.client_id, email: 'ann@acme.test', password: 'Ann-Strong-Pass-42' },
      })
    ).body.access_token as string;
    const managed = () =>
      gh.api('POST', '/v1/me/managed-token', { token: annToken, body: { hosts: [agent.client_id] } });
    expect((await managed()).status).toBe(201);
    const ghm = (await managed()).body.token as string;
    const managedPath = `/v1/orgs/${org.id}/users/${user.id}/managed-token`;
    expect((await gh.api('PATCH', managedPath, { token: admin, body: { hosts: [agent.client_id] } })).status).toBe(200);
    const anomalySettings = { exchange_rate: { limit: 1, window_s: 3600 } };
    expect((await gh.api('PUT', '/v1/anomalies/settings', { token: admin, body: anomalySettings })).status).toBe(200);
    const policy = { token: admin, body: { auto_suspend: true } };
    expect((await gh.api('PUT', `/v1/orgs/${org.id}/anomaly-policy`, policy)).status).toBe(200);
    const managedExchange = () =>
      form('/oauth/token', agent, {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: ghm,
        subject_token_type: 'urn:gatehouse:params:oauth:token-type:managed',
      });
    expect((await managedExchange()).status).toBe(200);
    expect((await managedExchange()).status).toBe(200);
    expect((await managedExchange()).body.reason).toBe('anomaly_review_pending');
    const [flag] = (await gh.api('GET', `/v1/anomalies?org=${org.id}`, { token: admin })).body.items;
    expect((await gh.api('POST', `/v1/anomalies/${flag.id}/acknowledge`, { token: admin, body: {} })).status).toBe(200);
    expect((await gh.api('POST', `/v1/anomalies/${flag.id}/clear`, { token: admin, body: {} })).status).toBe(200);
    expect((await gh.api('DELETE', managedPath, { token: admin })).status).toBe(204);

    // Tokens: issued, revoked, introspection refusal, rate-limit refusal, revoke-all.
    const issued = await form('/oauth/token', app, { grant_type: 'client_credentials' });
    expect(issued.status).toBe(200);
    const t = issued.body.access_token!;
    expect((await gh.api('GET', '/v1/me', { token: t })).status).toBe(200);
    expect((await gh.api('GET', '/v1/me', { token: t })).status).toBe(429);
    expect((await gh.api('GET', '/v1/me', { token: t })).status).toBe(429);
    // One row per limited key and window: a flood of 429s is not a flood of audit writes.
    const refusals = await gh.sql(
      `SELECT actor_id, org_id, details FROM audit_events WHERE action = 'ratelimit.refused'`,
    );
    expect(refusals).toEqual([
      {
        actor_id: app.client_id,
        org_id: org.id,
        details: { policy: 'token', limit: 1, window_s: 60, retry_after_s: expect.any(Number) },
      },
    ]);
    expect((await form('/oauth/introspect', outsider, { token: t })).body).toEqual({ active: false });
    expect((await form('/oauth/revoke', app, { token: t })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await gh.api('GET', '/v1/me', { token: t })).status).toBe(401);
    expect(await gh.sql(`SELECT reason, actor_id, jti FROM audit_events WHERE action = 'token.rejected'`)).toEqual([
      { reason: 'The token has been revoked.', actor_id: null, jti: null },
    ]);
    expect((await gh.api('POST', `/v1/orgs/${org.id}/revoke-tokens`, { token: admin })).status).toBe(200);

    // The sign-in experience (docs/sign-in-experience.md).
    await signInExperienceJourney(gh, admin);

    // Browser sign-in (docs/sign-in.md).
    await browserSignInJourney(gh, admin);

    // Deletions.
    expect((await gh.api('DELETE', `/v1/orgs/${org.id}/users/${user.id}`, { token: admin })).status).toBe(204);
    expect((await gh.api('DELETE', `/v1/orgs/${org.id}/apps/${app.client_id}`, { token: admin })).status).toBe(204);
    expect((await gh.api('DELETE', `/v1/orgs/${org.id}`, { token: admin })).status).toBe(204);

    // Keys last (the expiry ends the key the admin session was signed with): rotated, revoked, expired.
    await gh.sql(`UPDATE signing_keys SET created_at = created_at - interval '1 day' WHERE state = 'next'`);
    expect((await gh.api('POST', '/v1/keys/rotate', { token: admin })).status).toBe(200);
    const [next] = await gh.sql<{ kid: string }>(`SELECT kid FROM signing_keys WHERE state = 'next'`);
    expect((await gh.api('POST', `/v1/keys/${next!.kid}/revoke`, { token: admin })).status).toBe(200);
    await gh.sql(`UPDATE signing_keys SET retired_at = now() - interval '86401 seconds' WHERE state = 'retired'`);
    await gh.app.get(KeyScheduleService).tick();

    const reader = (await loginAdmin(gh, platformAdmin)).access_token;
    const missing: string[] = [];
    for (const action of AUDIT_ACTIONS) {
      const page = await gh.api('GET', `/v1/audit?action=${action}&limit=1`, { token: reader });
      expect(page.status).toBe(200);
      if (page.body.data.length !== 1 || page.body.data[0].action !== action) missing.push(action);
    }
    expect(missing).toEqual([]);
    const all = await gh.api('GET', '/v1/audit?limit=200', { token: reader });
    expect(all.body.data.every((e: { hash: string }) => /^[0-9a-f]{64}$/.test(e.hash))).toBe(true);
  });
});
