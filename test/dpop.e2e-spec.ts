import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  RedisReplayStore,
  VerifierError,
  accessTokenHash,
  createDpopVerifier,
  createVerifier,
  jwkThumbprint,
  type DpopVerifier,
  type Verifier,
} from '@gatehouse/verifier';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { cliCreateAdmin, hasRedis, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { signJwt, testKey, type TestKey } from './support/jose-keys';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';

/**
 * DPoP (RFC 9449; docs/client-authentication.md#dpop): oauth4webapi as the client,
 * Gatehouse's token endpoint and bearer routes, and @gatehouse/verifier's DPoP helper as a
 * resource server. A bound token is refused without its proof, with another key, with a
 * replayed proof, with a wrong htu or htm; a refresh family bound to a key refuses every
 * other; the server-nonce round trip; each refusal leaves an audit row.
 */
describe('DPoP', () => {
  let gh: TestGatehouse;
  let admin: string;
  let orgId: string;
  let app: { client_id: string; client_secret: string };
  let rs: Server;
  let rsUrl = '';
  let verifier: Verifier;
  let dpopRs: DpopVerifier;
  let closeReplay = () => undefined as void;
  const as = (): oauth.AuthorizationServer => ({ issuer: gh.url, token_endpoint: `${gh.url}/oauth/token` });
  const insecure = { [oauth.allowInsecureRequests]: true };

  const mkApp = async (body: Record<string, unknown>) => {
    const res = await gh.api('POST', `/v1/orgs/${orgId}/apps`, {
      token: admin,
      body: { password_login: true, name: `app-${randomUUID().slice(0, 8)}`, scopes: ['files:read'], ...body },
    });
    expect(res.status).toBe(201);
    return res.body as { client_id: string; client_secret: string };
  };
  /** A client-credentials token through oauth4webapi, bound to `keyPair`, retrying once on use_dpop_nonce. */
  const dpopToken = async (client: { client_id: string; client_secret: string }, DPoP: oauth.DPoPHandle) => {
    const c: oauth.Client = { client_id: client.client_id };
    const auth = oauth.ClientSecretBasic(client.client_secret);
    const request = () =>
      oauth.clientCredentialsGrantRequest(as(), c, auth, { scope: 'files:read' }, { DPoP, ...insecure });
    try {
      return await oauth.processClientCredentialsResponse(as(), c, await request());
    } catch (err) {
      if (!oauth.isDPoPNonceError(err)) throw err;
      return oauth.processClientCredentialsResponse(as(), c, await request());
    }
  };
  const dpopAudit = async (reason: string | RegExp, endpoint?: string) => {
    const rows = await gh.sql<{ reason: string; details: { endpoint: string; jkt?: string } }>(
      `SELECT reason, details FROM audit_events WHERE action = 'dpop.proof_rejected' ORDER BY seq`,
    );
    const row = rows.find(
      (r) =>
        (typeof reason === 'string' ? r.reason === reason : reason.test(r.reason)) &&
        (endpoint === undefined || r.details.endpoint === endpoint),
    );
    expect(row).toBeDefined();
    return row!;
  };
  /** A proof built by hand, for the forgeries oauth4webapi will not make. */
  const proof = (key: TestKey, claims: Record<string, unknown>) =>
    signJwt(
      key,
      { jti: randomUUID(), iat: Math.floor(Date.now() / 1000), htm: 'GET', htu: `${gh.url}/v1/me`, ...claims },
      { typ: 'dpop+jwt', jwk: key.publicJwk },
    );

  beforeAll(async () => {
    gh = await startGatehouse({ redis: hasRedis(), env: { GATEHOUSE_TRUST_PROXY: 'true' } });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    orgId = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'dpop', display_name: 'DPoP' } })).body.id;
    app = await mkApp({ grant_types: ['client_credentials', 'refresh_token', EXCHANGE] });
    // The resource server: @gatehouse/verifier plus its DPoP helper, replay shared through Redis when there is one.
    verifier = createVerifier({ issuer: gh.url, audience: gh.url });
    const replay = hasRedis()
      ? new RedisReplayStore({ redis: process.env.REDIS_URL!, prefix: `gh:test:rs:${randomUUID()}:` })
      : undefined;
    rs = createServer((req, res) => {
      dpopRs
        .verifyRequest({ method: req.method!, url: req.url!, headers: req.headers })
        .then((p) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(p)))
        .catch((err: unknown) => {
          if (!(err instanceof VerifierError)) return res.writeHead(500).end();
          res.writeHead(err.status, { ...err.responseHeaders('files'), 'content-type': 'application/json' });
          res.end(JSON.stringify(err.toJSON()));
        });
    });
    await new Promise<void>((r) => rs.listen(0, '127.0.0.1', r));
    rsUrl = `http://127.0.0.1:${(rs.address() as AddressInfo).port}`;
    dpopRs = createDpopVerifier({ verifier, replay, origin: rsUrl, maxAgeS: 60 });
    closeReplay = () => replay?.close();
  });
  afterAll(async () => {
    closeReplay();
    verifier?.close();
    rs?.closeAllConnections();
    await new Promise((r) => rs?.close(r));
    await gh?.close();
  });

  describe('a bound token', () => {
    let keyPair: Awaited<ReturnType<typeof oauth.generateKeyPair>>;
    let DPoP: oauth.DPoPHandle;
    let token: string;
    let jkt: string;

    beforeAll(async () => {
      keyPair = await oauth.generateKeyPair('ES256');
      DPoP = oauth.DPoP({}, keyPair);
      const res = await dpopToken(app, DPoP);
      expect(res.token_type).toBe('dpop');
      token = res.access_token;
      jkt = await DPoP.calculateThumbprint();
    });

    it('is issued as token_type DPoP with cnf.jkt the key thumbprint, audited, and introspects as DPoP', async () => {
      const claims = decodeJwt(token);
      expect(claims.cnf).toEqual({ jkt });
      const [row] = await gh.sql<{ details: Record<string, unknown> }>(
        `SELECT details FROM audit_events WHERE action = 'token.issued' AND jti = $1`,
        [claims.jti],
      );
      expect(row!.details).toMatchObject({ dpop_jkt: jkt });
      const intro = await fetch(`${gh.url}/oauth/introspect`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ token }).toString(),
      }).then((r) => r.json());
      expect(intro).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt } });
    });

    it('works with its proof at a resource server (the verifier helper) and at Gatehouse (/v1/me)', async () => {
      const atRs = await oauth.protectedResourceRequest(
        token,
        'GET',
        new URL(`${rsUrl}/files?x=1`),
        undefined,
        undefined,
        {
          DPoP,
          ...insecure,
        },
      );
      expect(atRs.status).toBe(200);
      expect(await atRs.json()).toMatchObject({ sub: app.client_id, dpop: { jkt } });
      const me = await oauth.protectedResourceRequest(token, 'GET', new URL(`${gh.url}/v1/me`), undefined, undefined, {
        DPoP,
        ...insecure,
      });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ tier: 'app', id: app.client_id });
    });

    it('is refused without the proof (as a bearer token), with a DPoP challenge', async () => {
      const atRs = await fetch(`${rsUrl}/files`, { headers: { authorization: `Bearer ${token}` } });
      expect(atRs.status).toBe(401);
      expect(atRs.headers.get('www-authenticate')).toMatch(/^DPoP realm="files", error="invalid_token", .*algs="/);
      const me = await gh.api('GET', '/v1/me', { token });
      expect(me.status).toBe(401);
      expect(me.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token"/);
      await dpopAudit('A DPoP-bound token was sent as a bearer token.', 'GET /v1/me');
      // The DPoP scheme without a proof is refused too.
      const noProof = await gh.api('GET', '/v1/me', { headers: { authorization: `DPoP ${token}` } });
      expect(noProof.status).toBe(401);
      expect(noProof.body.code).toBe('invalid_dpop_proof');
    });

    it('is refused with a proof by another key', async () => {
      const other = testKey('ES256');
      const ath = accessTokenHash(token);
      const headers = (htu: string) => ({ authorization: `DPoP ${token}`, dpop: proof(other, { ath, htu }) });
      expect((await fetch(`${rsUrl}/files`, { headers: headers(`${rsUrl}/files`) })).status).toBe(401);
      const me = await gh.api('GET', '/v1/me', { headers: headers(`${gh.url}/v1/me`) });
      expect(me).toMatchObject({ status: 401, body: { code: 'invalid_dpop_proof' } });
      await dpopAudit('The DPoP proof is not signed with the key the token is bound to.', 'GET /v1/me');
    });

    it('is refused with a replayed proof', async () => {
      // oauth4webapi signs a fresh proof per request; capture one and send it twice.
      let captured = '';
      await oauth.protectedResourceRequest(token, 'GET', new URL(`${gh.url}/v1/me`), undefined, undefined, {
        DPoP,
        ...insecure,
        [oauth.customFetch]: (url: string, init: RequestInit) => {
          captured = new Headers(init.headers).get('dpop')!;
          return fetch(url, init);
        },
      });
      const again = await gh.api('GET', '/v1/me', { headers: { authorization: `DPoP ${token}`, dpop: captured } });
      expect(again).toMatchObject({ status: 401, body: { code: 'invalid_dpop_proof' } });
      expect(again.headers.get('www-authenticate')).toMatch(/error="invalid_dpop_proof"/);
      await dpopAudit('This DPoP proof has been used before.', 'GET /v1/me');
      let rsProof = '';
      await oauth.protectedResourceRequest(token, 'GET', new URL(`${rsUrl}/files`), undefined, undefined, {
        DPoP,
        ...insecure,
        [oauth.customFetch]: (url: string, init: RequestInit) => {
          rsProof = new Headers(init.headers).get('dpop')!;
          return fetch(url, init);
        },
      });
      const replayed = await fetch(`${rsUrl}/files`, { headers: { authorization: `DPoP ${token}`, dpop: rsProof } });
      expect(replayed.status).toBe(401);
      expect(((await replayed.json()) as { error: string }).error).toBe('invalid_dpop_proof');
    });

    it('is refused with a wrong htu or htm', async () => {
      const send = async (url: string, method: string, proofUrl: string, proofMethod: string) => {
        let p = '';
        // A proof made by the right key for another URI or method, then sent where it does not belong.
        await oauth.protectedResourceRequest(token, proofMethod, new URL(proofUrl), undefined, undefined, {
          DPoP,
          ...insecure,
          [oauth.customFetch]: (_u: string, init: RequestInit) => {
            p = new Headers(init.headers).get('dpop')!;
            return Promise.resolve(new Response(null, { status: 204 }));
          },
        });
        return fetch(url, { method, headers: { authorization: `DPoP ${token}`, dpop: p } });
      };
      const wrongHtu = await send(`${gh.url}/v1/me`, 'GET', `${gh.url}/v1/orgs`, 'GET');
      expect(wrongHtu.status).toBe(401);
      await dpopAudit('The DPoP proof "htu" does not match the request URI.', 'GET /v1/me');
      const wrongHtm = await send(`${gh.url}/v1/me`, 'GET', `${gh.url}/v1/me`, 'POST');
      expect(wrongHtm.status).toBe(401);
      await dpopAudit('The DPoP proof "htm" does not match the request method.', 'GET /v1/me');
      expect((await send(`${rsUrl}/files`, 'GET', `${rsUrl}/other`, 'GET')).status).toBe(401);
      expect((await send(`${rsUrl}/files`, 'GET', `${rsUrl}/files`, 'PUT')).status).toBe(401);
    });
  });

  describe('at the token endpoint', () => {
    const post = (
      client: { client_id: string; client_secret: string },
      dpop?: string,
      body = 'grant_type=client_credentials',
    ) =>
      fetch(`${gh.url}/oauth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
          ...(dpop ? { dpop } : {}),
        },
        body,
      }).then(async (r) => ({
        status: r.status,
        headers: r.headers,
        body: (await r.json()) as Record<string, string>,
      }));
    const tokenProof = (key: TestKey, claims: Record<string, unknown> = {}) =>
      proof(key, { htm: 'POST', htu: `${gh.url}/oauth/token`, ...claims });

    it('refuses a proof for another URI, a replayed proof, a private key in the header and alg none', async () => {
      const key = testKey('EdDSA');
      const wrong = await post(app, tokenProof(key, { htu: `${gh.url}/oauth/revoke` }));
      expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } });
      await dpopAudit('The DPoP proof "htu" does not match the request URI.', '/oauth/token');
      const once = tokenProof(key);
      expect((await post(app, once)).body.token_type).toBe('DPoP');
      expect((await post(app, once)).body.error).toBe('invalid_dpop_proof');
      await dpopAudit('This DPoP proof has been used before.', '/oauth/token');
      const leaky = signJwt(
        key,
        { jti: randomUUID(), iat: Math.floor(Date.now() / 1000), htm: 'POST', htu: `${gh.url}/oauth/token` },
        { typ: 'dpop+jwt', jwk: key.privateJwk },
      );
      expect((await post(app, leaky)).body.error).toBe('invalid_dpop_proof');
      const none = `${Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk })).toString('base64url')}.${Buffer.from('{}').toString('base64url')}.sig`;
      expect((await post(app, none)).body.error).toBe('invalid_dpop_proof');
    });

    it('dpop_bound_access_tokens refuses a request without a proof', async () => {
      const strict = await mkApp({ dpop_bound_access_tokens: true });
      const res = await post(strict);
      expect(res).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } });
      await dpopAudit('This client must send a DPoP proof.', '/oauth/token');
      expect((await post(strict, tokenProof(testKey('ES256')))).body.token_type).toBe('DPoP');
    });

    it('dpop_nonce_required: use_dpop_nonce with a DPoP-Nonce, then the retry with the nonce succeeds (oauth4webapi)', async () => {
      const nonced = await mkApp({ dpop_nonce_required: true });
      const first = await post(nonced, tokenProof(testKey('ES256')));
      expect(first).toMatchObject({ status: 400, body: { error: 'use_dpop_nonce' } });
      const nonce = first.headers.get('dpop-nonce');
      expect(nonce).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      await dpopAudit('This client must sign its DPoP proofs with the server nonce.', '/oauth/token');
      // The nonce is stateless: the same one is good for the next request too.
      const key = testKey('ES256');
      expect((await post(nonced, tokenProof(key, { nonce }))).body.token_type).toBe('DPoP');
      expect((await post(nonced, tokenProof(key, { nonce: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }))).body.error).toBe(
        'use_dpop_nonce',
      );
      // A stock client does the round trip by itself.
      const DPoP = oauth.DPoP({}, await oauth.generateKeyPair('ES256'));
      const res = await dpopToken(nonced, DPoP);
      expect(decodeJwt(res.access_token).cnf).toEqual({ jkt: await DPoP.calculateThumbprint() });
    });

    it('token exchange binds the step token to the key of the app that exchanges it', async () => {
      const specialist = await mkApp({ grant_types: ['client_credentials', EXCHANGE] });
      const orchestrator = await mkApp({ delegates: [specialist.client_id] });
      const subject = (await post(orchestrator, tokenProof(testKey('ES256')))).body.access_token!;
      const specialistKey = testKey('PS256');
      const exchanged = await post(
        specialist,
        tokenProof(specialistKey),
        new URLSearchParams({
          grant_type: EXCHANGE,
          subject_token: subject,
          subject_token_type: AT,
          step: 'summarise',
        }).toString(),
      );
      expect(exchanged.status).toBe(200);
      expect(exchanged.body.token_type).toBe('DPoP');
      expect(decodeJwt(exchanged.body.access_token!).cnf).toEqual({ jkt: jwkThumbprint(specialistKey.publicJwk) });
      // Without a proof the step token is a bearer token: the subject's binding is not carried over.
      const plain = await post(
        specialist,
        undefined,
        new URLSearchParams({
          grant_type: EXCHANGE,
          subject_token: subject,
          subject_token_type: AT,
          step: 's2',
        }).toString(),
      );
      expect(plain.body.token_type).toBe('Bearer');
      expect(decodeJwt(plain.body.access_token!).cnf).toBeUndefined();
    });
  });

  describe('a refresh family bound to a key', () => {
    const password = 'User-Strong-Pass-42';
    let familyRefresh: string;
    const keyA = testKey('ES256');
    const keyB = testKey('ES256');
    const refresh = (rt: string, key?: TestKey) =>
      fetch(`${gh.url}/oauth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(key
            ? {
                dpop: signJwt(
                  key,
                  { jti: randomUUID(), iat: Math.floor(Date.now() / 1000), htm: 'POST', htu: `${gh.url}/oauth/token` },
                  { typ: 'dpop+jwt', jwk: key.publicJwk },
                ),
              }
            : {}),
        },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: rt,
          client_id: app.client_id,
        }).toString(),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, string> }));

    beforeAll(async () => {
      await gh.api('POST', `/v1/orgs/${orgId}/users`, { token: admin, body: { email: 'pat@dpop.test', password } });
      const login = await gh.api('POST', `/v1/orgs/${orgId}/users/login`, {
        body: { client_id: app.client_id, email: 'pat@dpop.test', password },
      });
      familyRefresh = login.body.refresh_token;
      // No public client can start a bound family yet (that arrives with the authorization
      // code flow); mark this one bound the way such a sign-in will record it.
      await gh.sql(
        `UPDATE refresh_families SET dpop_jkt = $1
          WHERE id = (SELECT family_id FROM refresh_tokens WHERE used_at IS NULL ORDER BY created_at DESC LIMIT 1)`,
        [jwkThumbprint(keyA.publicJwk)],
      );
    });

    it('refuses another key and no key, without spending the token, and audits why', async () => {
      const other = await refresh(familyRefresh, keyB);
      expect(other).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      const none = await refresh(familyRefresh);
      expect(none.body.error).toBe('invalid_grant');
      const reasons = (
        await gh.sql<{ reason: string }>(
          `SELECT reason FROM audit_events WHERE action = 'token.refreshed' AND outcome = 'failure' ORDER BY seq`,
        )
      ).map((r) => r.reason);
      expect(reasons).toEqual(
        expect.arrayContaining([
          'refresh token bound to another DPoP key',
          'refresh token bound to a DPoP key, no proof',
        ]),
      );
      // Not spent: the holder of the key still refreshes, and gets a token bound to that key.
      const ok = await refresh(familyRefresh, keyA);
      expect(ok.status).toBe(200);
      expect(ok.body.token_type).toBe('DPoP');
      expect(decodeJwt(ok.body.access_token!).cnf).toEqual({ jkt: jwkThumbprint(keyA.publicJwk) });
      // The successor stays bound.
      expect((await refresh(ok.body.refresh_token!, keyB)).body.error).toBe('invalid_grant');
      expect((await refresh(ok.body.refresh_token!, keyA)).status).toBe(200);
    });
  });
});
