import { AccessTokenService, DelegationLineage } from '@gatehouse/tokens';
import { createVerifier, type Verifier, VerifierError } from '@gatehouse/verifier';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import {
  clientPost,
  cliCreateAdmin,
  hasRedis,
  loginAdmin,
  startGatehouse,
  type TestGatehouse,
} from './support/gatehouse';
import { startSecondInstance, type SecondInstance } from './support/second-instance';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
type App = { client_id: string; client_secret: string };

/**
 * Per-step credential isolation (docs/architecture.md#token-exchange): an orchestrator app hands one step to a
 * specialist app, which exchanges the orchestrator's token (RFC 8693) for a narrow,
 * short-lived step token, and hands a sub-step to its own sub-specialist. Every refusal,
 * and the cascade when a token of the chain is revoked.
 */
(hasRedis() ? describe : describe.skip)('token exchange: step tokens with a delegation chain', () => {
  let gh: TestGatehouse;
  let second: SecondInstance;
  let admin: string;
  let acme: { id: string };
  let orchestrator: App, specialist: App, sub: App, outsider: App, foreign: App, feed: App;
  let verifier: Verifier;

  const exchange = (client: App, params: Record<string, string | string[]>, base = gh.url) => {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const x of [v].flat()) body.append(k, x);
    return fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams([['grant_type', EXCHANGE], ...body]),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, string> }));
  };
  const ask = (subject: string, extra: Record<string, string | string[]> = {}) => ({
    subject_token: subject,
    subject_token_type: AT,
    step: 'research',
    ...extra,
  });
  const appToken = async (client: App) =>
    (
      (await (await clientPost(gh.url, client, '/oauth/token', { grant_type: 'client_credentials' })).json()) as {
        access_token: string;
      }
    ).access_token;
  const mkApp = async (orgId: string, name: string, scopes: string[], extra: Record<string, unknown> = {}) =>
    (
      await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
        token: admin,
        body: { name, scopes, grant_types: ['client_credentials', EXCHANGE], ...extra },
      })
    ).body as App;
  const refusals = () =>
    gh.sql<{ reason: string; details: { error: string } }>(
      `SELECT reason, details FROM audit_events WHERE action = 'token.exchanged' AND outcome = 'failure' ORDER BY chain_seq`,
    );
  const expectRefused = async (
    r: { status: number; body: Record<string, string> },
    error: string,
    description: RegExp,
  ) => {
    expect({ status: r.status, error: r.body.error }).toEqual({ status: 400, error });
    expect(r.body.error_description).toMatch(description);
    const last = (await refusals()).at(-1)!;
    expect(last.details.error).toBe(error);
    expect(last.reason).toBe(r.body.error_description);
  };

  beforeAll(async () => {
    gh = await startGatehouse({ redis: true, env: { GATEHOUSE_MAX_DELEGATION_DEPTH: '3' } });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    acme = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'acme', display_name: 'Acme' } })).body;
    const globex = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'globex', display_name: 'G' } }))
      .body;
    for (const identifier of ['https://search.acme.test', 'https://docs.acme.test']) {
      const r = await gh.api('POST', `/v1/orgs/${acme.id}/resources`, {
        token: admin,
        body: { identifier, name: identifier, scopes: [{ name: 'research' }, { name: 'read' }] },
      });
      expect(r.status).toBe(201);
    }
    sub = await mkApp(acme.id, 'summariser', ['read']);
    specialist = await mkApp(acme.id, 'researcher', ['research', 'read'], {
      delegates: [sub.client_id],
      audiences: ['https://search.acme.test', 'https://docs.acme.test'],
      step_token_ttl_s: 90,
    });
    orchestrator = await mkApp(acme.id, 'orchestrator', ['research', 'read', 'write'], {
      delegates: [specialist.client_id],
    });
    outsider = await mkApp(acme.id, 'outsider', ['read', 'research']);
    foreign = await mkApp(globex.id, 'foreign', ['read', 'research']);
    feed = await mkApp(acme.id, 'feed', ['gatehouse:revocations']);
    verifier = createVerifier({
      issuer: gh.url,
      audience: gh.url,
      revocations: { credentials: { clientId: feed.client_id, clientSecret: feed.client_secret }, intervalS: 1 },
    });
    await verifier.ready();
    second = await startSecondInstance(gh);
  });
  afterAll(async () => {
    verifier?.close();
    await second?.close();
    await gh?.close();
  });

  it('drives a three-step chain through openid-client and verifies every token offline, reading the chain', async () => {
    const root = await appToken(orchestrator);
    expect(decodeJwt(root).may_act).toEqual({ sub: specialist.client_id });
    const configFor = (client: App) =>
      oidc.discovery(new URL(gh.url), client.client_id, undefined, oidc.ClientSecretBasic(client.client_secret), {
        execute: [oidc.allowInsecureRequests],
      });
    const discovered = await (await configFor(specialist)).serverMetadata();
    expect(discovered.grant_types_supported).toContain(EXCHANGE);

    const step1 = await oidc.genericGrantRequest(await configFor(specialist), EXCHANGE, {
      subject_token: root,
      subject_token_type: AT,
      scope: 'research read',
      step: 'research',
    });
    expect(step1).toMatchObject({ issued_token_type: AT, token_type: 'bearer', scope: 'research read' });
    expect(step1.refresh_token).toBeUndefined();
    const step2 = await oidc.genericGrantRequest(await configFor(sub), EXCHANGE, {
      subject_token: step1.access_token,
      subject_token_type: AT,
      step: 'summarise',
    });
    expect(step2.scope).toBe('read');

    const jwks = createRemoteJWKSet(new URL(`${gh.url}/.well-known/jwks.json`));
    const verify = async (t: string) =>
      (await jwtVerify(t, jwks, { issuer: gh.url, audience: gh.url, typ: 'at+jwt', algorithms: ['RS256'] })).payload;
    const [r, s1, s2] = [await verify(root), await verify(step1.access_token), await verify(step2.access_token)];
    expect(s1).toMatchObject({
      sub: orchestrator.client_id,
      tier: 'app',
      org: 'acme',
      org_id: acme.id,
      client_id: specialist.client_id,
      act: { sub: specialist.client_id },
      step: 'research',
      parent_jti: r.jti,
      scope: 'research read',
      may_act: { sub: sub.client_id },
    });
    expect(s1.exp!).toBeLessThanOrEqual(r.exp!);
    expect(s1.exp! - s1.iat!).toBeLessThanOrEqual(90);
    expect(s2).toMatchObject({
      sub: orchestrator.client_id,
      client_id: sub.client_id,
      act: { sub: sub.client_id, act: { sub: specialist.client_id } },
      step: 'summarise',
      parent_jti: s1.jti,
    });
    expect(s2.exp!).toBeLessThanOrEqual(s1.exp!);

    const p2 = await verifier.verify(step2.access_token);
    expect(p2.actors).toEqual([sub.client_id, specialist.client_id]);
    expect(p2.step).toBe('summarise');

    // Introspection echoes the chain.
    const intro = await (
      await clientPost(gh.url, orchestrator, '/oauth/introspect', { token: step2.access_token })
    ).json();
    expect(intro).toMatchObject({
      active: true,
      act: s2.act,
      step: 'summarise',
      parent_jti: s1.jti,
      delegation_depth: 2,
    });

    // The audit trail of each exchange.
    const rows = await gh.sql<{ jti: string; details: Record<string, unknown> }>(
      `SELECT jti, details FROM audit_events WHERE action = 'token.exchanged' AND outcome = 'success' ORDER BY chain_seq`,
    );
    expect(rows.map((x) => x.jti)).toEqual([s1.jti, s2.jti]);
    expect(rows[1].details).toMatchObject({
      subject_jti: s1.jti,
      chain: [sub.client_id, specialist.client_id],
      scope: 'read',
      step: 'summarise',
      depth: 2,
    });
  });

  it('refuses a wider scope (invalid_scope)', async () => {
    const root = await appToken(orchestrator);
    await expectRefused(await exchange(specialist, ask(root, { scope: 'research write' })), 'invalid_scope', /write/);
  });

  it('refuses a subject of another organization', async () => {
    const root = await appToken(orchestrator);
    await expectRefused(await exchange(foreign, ask(root)), 'invalid_request', /another organization/);
  });

  it('refuses a subject issued to another app that does not name the caller in may_act', async () => {
    const root = await appToken(orchestrator);
    await expectRefused(await exchange(outsider, ask(root)), 'invalid_request', /may_act/);
  });

  it('refuses revoked, expired and forged subject tokens', async () => {
    const revoked = await appToken(orchestrator);
    expect((await clientPost(gh.url, orchestrator, '/oauth/revoke', { token: revoked })).status).toBe(200);
    await expectRefused(await exchange(specialist, ask(revoked)), 'invalid_request', /subject_token is invalid/);
    const minted = await gh.app.get(AccessTokenService).mint({
      tier: 'app',
      sub: orchestrator.client_id,
      clientId: orchestrator.client_id,
      org: { id: acme.id, name: 'acme' },
      scopes: ['read'],
      ttlS: -60,
    });
    await expectRefused(await exchange(specialist, ask(minted.token)), 'invalid_request', /subject_token is invalid/);
    const good = await appToken(orchestrator);
    const forged = good.slice(0, -4) + (good.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    await expectRefused(await exchange(specialist, ask(forged)), 'invalid_request', /subject_token is invalid/);
  });

  it('refuses an administrator token', async () => {
    await expectRefused(await exchange(specialist, ask(admin)), 'invalid_request', /Administrator/);
  });

  it('refuses a chain deeper than GATEHOUSE_MAX_DELEGATION_DEPTH', async () => {
    const root = await appToken(orchestrator);
    const s1 = await exchange(specialist, ask(root));
    const s2 = await exchange(sub, ask(s1.body.access_token, { scope: 'read' }));
    const s3 = await exchange(sub, ask(s2.body.access_token));
    expect(s3.status).toBe(200);
    expect(decodeJwt(s3.body.access_token).act).toEqual({
      sub: sub.client_id,
      act: { sub: sub.client_id, act: { sub: specialist.client_id } },
    });
    await expectRefused(await exchange(sub, ask(s3.body.access_token)), 'invalid_request', /exceed 3/);
  });

  it('audiences only narrow: one of the app’s (invalid_target otherwise), exactly one per token', async () => {
    const root = await appToken(orchestrator);
    const narrowed = await exchange(specialist, ask(root, { resource: 'https://search.acme.test' }));
    expect(narrowed.status).toBe(200);
    expect(decodeJwt(narrowed.body.access_token).aud).toBe('https://search.acme.test');
    await expectRefused(
      await exchange(specialist, ask(root, { audience: 'https://elsewhere.test' })),
      'invalid_target',
      /audience/,
    );
    // A repeated resource reaches this grant, which declares it repeatable (and refuses two audiences)…
    await expectRefused(
      await exchange(specialist, ask(root, { resource: ['https://search.acme.test', 'https://docs.acme.test'] })),
      'invalid_target',
      /exactly one audience/,
    );
    // …and is refused before the grant by one that does not (RFC 6749 §3.2).
    const twice = await fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${specialist.client_id}:${specialist.client_secret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials&resource=https://search.acme.test&resource=https://docs.acme.test',
    });
    expect(twice.status).toBe(400);
    expect(await twice.json()).toEqual({
      error: 'invalid_request',
      error_description: 'Parameter "resource" appears more than once.',
    });
    // A narrowed token cannot be widened to another audience by the next exchange.
    await expectRefused(
      await exchange(sub, ask(narrowed.body.access_token, { resource: 'https://docs.acme.test' })),
      'invalid_target',
      /./,
    );
  });

  it('refuses malformed requests: token types, a lone actor_token, a missing step', async () => {
    const root = await appToken(orchestrator);
    await expectRefused(
      await exchange(specialist, ask(root, { requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' })),
      'invalid_request',
      /requested_token_type must be/,
    );
    await expectRefused(
      await exchange(specialist, { ...ask(root), subject_token_type: 'urn:x' }),
      'invalid_request',
      /subject_token_type/,
    );
    await expectRefused(await exchange(specialist, ask(root, { actor_token: root })), 'invalid_request', /go together/);
    const { step: _omit, ...noStep } = ask(root);
    await expectRefused(await exchange(specialist, noStep), 'invalid_request', /step is required/);
    // An app not granted token exchange is unauthorized_client.
    const plain = (
      await gh.api('POST', `/v1/orgs/${acme.id}/apps`, { token: admin, body: { name: 'p', scopes: ['read'] } })
    ).body as App;
    const r = await exchange(plain, ask(root));
    expect(r).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
  });

  it('names the actor token’s subject as the actor when one is sent', async () => {
    const root = await appToken(orchestrator);
    const own = await appToken(specialist);
    const r = await exchange(specialist, ask(root, { actor_token: own, actor_token_type: AT }));
    expect(r.status).toBe(200);
    expect(decodeJwt(r.body.access_token).act).toEqual({ sub: specialist.client_id });
    // Someone else's token is not the caller's actor token.
    await expectRefused(
      await exchange(specialist, ask(root, { actor_token: root, actor_token_type: AT })),
      'invalid_request',
      /actor_token/,
    );
  });

  it('cascade: revoking the middle of a three-deep chain kills its child and grandchild everywhere; the root lives', async () => {
    // root → a (the specialist's step) → b (the sub-specialist's) → c (b narrowed again by its holder).
    const root = await appToken(orchestrator);
    const a = (await exchange(specialist, ask(root))).body.access_token;
    const b = (await exchange(sub, ask(a, { scope: 'read' }))).body.access_token;
    const c = (await exchange(sub, ask(b, { scope: 'read' }), second.url)).body.access_token;
    expect(decodeJwt(c).parent_jti).toBe(decodeJwt(b).jti);
    for (const t of [a, b, c]) expect((await gh.api('GET', '/v1/me', { token: t })).status).toBe(200);
    // Revoke the middle token: its child and grandchild die with it.
    expect((await clientPost(gh.url, specialist, '/oauth/revoke', { token: a })).status).toBe(200);
    for (const t of [a, b, c]) {
      expect((await gh.api('GET', '/v1/me', { token: t })).status).toBe(401);
      expect((await second.api('GET', '/v1/me', { token: t })).status).toBe(401);
      const intro = await (await clientPost(gh.url, orchestrator, '/oauth/introspect', { token: t })).json();
      expect(intro).toEqual({ active: false });
    }
    expect((await gh.api('GET', '/v1/me', { token: root })).status).toBe(200);
    // The feed lists both by jti; the offline verifier refuses both and accepts the root.
    const feedToken = await appToken(feed);
    const listed = (await gh.api('GET', '/v1/revocations', { token: feedToken })).body.revoked_tokens.map(
      (x: { jti: string }) => x.jti,
    );
    expect(listed).toEqual(expect.arrayContaining([decodeJwt(a).jti, decodeJwt(b).jti, decodeJwt(c).jti]));
    await new Promise((r) => setTimeout(r, 1500));
    for (const t of [a, b, c]) {
      await expect(verifier.verify(t)).rejects.toThrow(VerifierError);
    }
    expect((await verifier.verify(root)).sub).toBe(orchestrator.client_id);
  });

  it('cascade: a revoke-all of the specialist app kills what was exchanged from its step tokens too', async () => {
    const root = await appToken(orchestrator);
    const a = (await exchange(specialist, ask(root))).body.access_token;
    const b = (await exchange(sub, ask(a, { scope: 'read' }))).body.access_token;
    expect((await gh.api('GET', '/v1/me', { token: b })).status).toBe(200);
    // b carries neither the specialist's sub nor its client_id: only the lineage reaches it.
    expect(decodeJwt(b)).toMatchObject({ sub: orchestrator.client_id, client_id: sub.client_id });
    await new Promise((r) => setTimeout(r, 1100)); // marks have whole seconds: keep later tokens out of it
    const revoked = await gh.api('POST', `/v1/orgs/${acme.id}/apps/${specialist.client_id}/revoke-tokens`, {
      token: admin,
    });
    expect(revoked.status).toBe(200);
    expect((await gh.api('GET', '/v1/me', { token: a })).status).toBe(401);
    expect((await gh.api('GET', '/v1/me', { token: b })).status).toBe(401);
    expect((await second.api('GET', '/v1/me', { token: b })).status).toBe(401);
    expect((await gh.api('GET', '/v1/me', { token: root })).status).toBe(200);
  });

  it('cascade: a revoked key lists, by jti, everything exchanged from the tokens it signed', async () => {
    await new Promise((r) => setTimeout(r, 1100)); // past the second of the previous test's mark
    const root = await appToken(orchestrator);
    const a = (await exchange(specialist, ask(root))).body.access_token;
    const b = (await exchange(sub, ask(a, { scope: 'read' }))).body.access_token;
    const kid = JSON.parse(Buffer.from(root.split('.')[0], 'base64url').toString()).kid as string;
    await gh.app.get(DelegationLineage).cascadeFromKey(kid);
    const listed = await gh.sql<{ jti: string }>('SELECT jti FROM revoked_tokens WHERE jti = ANY($1)', [
      [decodeJwt(a).jti, decodeJwt(b).jti],
    ]);
    expect(listed).toHaveLength(2);
  });
});
