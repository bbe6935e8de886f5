import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { accessTokenHash } from '@gatehouse/verifier';
import { cliCreateAdmin, hasRedis, loginAdmin, startGatehouse, type TestGatehouse } from './support/gatehouse';
import { assertionClaims, signJwt, testKey } from './support/jose-keys';

jest.setTimeout(300_000);

/** Fixed, so a failure reproduces; override with FUZZ_SEED, scale with FUZZ_REQUESTS. */
const SEED = Number(process.env.FUZZ_SEED ?? 24_2026);
const REQUESTS = Math.max(200, Math.floor(Number(process.env.FUZZ_REQUESTS ?? 20_000) / 10));
const CONCURRENCY = 8;
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
/** The ID-JAG side (docs/id-jag.md): an identity provider the org trusts, a resource, an allowed audience. */
const TRUSTED = 'https://idp.atk.test';
const RESOURCE = 'https://api.atk.test/mcp';
const AUDIENCE = 'https://rs.atk.test';

/** What an answer must never show: stack frames, file paths, internals. */
const LEAK =
  /\bat \S+ \(|\.(ts|js):\d+|node_modules|\/work\/|prisma|SELECT |INSERT INTO|TypeError|ReferenceError|SyntaxError|KeyObject|ERR_/i;

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/**
 * Attacks on the key-based surfaces (docs/client-authentication.md), generated: malformed,
 * forged and mutated `private_key_jwt` assertions at every endpoint that authenticates
 * clients, malformed, forged and mutated DPoP proofs at the token endpoint and on a
 * bearer route, with a DPoP-bound token, and malformed, forged and mutated ID-JAGs at the
 * jwt-bearer grant and ID-JAG requests at the token exchange (docs/id-jag.md). No answer is a 5xx or shows a stack trace or an
 * internal name; no private key, client secret or token appears in an answer, the log or
 * the audit log; the server is still ready afterwards.
 */
describe('attacks on private_key_jwt, DPoP and ID-JAG', () => {
  let gh: TestGatehouse;
  let admin: string;
  const key = testKey('ES256', 'k1');
  const rsa = testKey('RS256', 'r1');
  let keyApp: { client_id: string };
  let secretApp: { client_id: string; client_secret: string };
  let bearerApp: { client_id: string; client_secret: string };
  let userToken = '';
  let boundToken = '';
  const secrets: string[] = [];

  beforeAll(async () => {
    gh = await startGatehouse({ redis: hasRedis(), env: { LOG_LEVEL: 'trace' } });
    admin = (await loginAdmin(gh, await cliCreateAdmin(gh, { platform: true }))).access_token;
    const org = (await gh.api('POST', '/v1/orgs', { token: admin, body: { name: 'atk', display_name: 'A' } })).body;
    keyApp = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        token: admin,
        body: {
          password_login: true,
          name: 'keyed',
          scopes: ['a'],
          token_endpoint_auth_method: 'private_key_jwt',
          jwks: { keys: [key.publicJwk, rsa.publicJwk] },
        },
      })
    ).body;
    secretApp = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        token: admin,
        body: { password_login: true, name: 'secret', scopes: ['a'], dpop_nonce_required: false },
      })
    ).body;
    const scoped = { token: admin };
    await gh.api('POST', `/v1/orgs/${org.id}/resources`, {
      ...scoped,
      body: { identifier: RESOURCE, name: 'R', scopes: [{ name: 'a' }] },
    });
    bearerApp = (
      await gh.api('POST', `/v1/orgs/${org.id}/apps`, {
        ...scoped,
        body: {
          password_login: true,
          name: 'bearer',
          scopes: ['a'],
          audiences: [RESOURCE],
          grant_types: [JWT_BEARER, EXCHANGE],
        },
      })
    ).body;
    const password = 'Attack-Strong-Pass-42';
    await gh.api('POST', `/v1/orgs/${org.id}/users`, { ...scoped, body: { email: 'ann@atk.test', password } });
    const trusted = await gh.api('POST', `/v1/orgs/${org.id}/trusted-issuers`, {
      ...scoped,
      body: { issuer: TRUSTED, jwks: { keys: [key.publicJwk, rsa.publicJwk] }, allowed_clients: [bearerApp.client_id] },
    });
    expect(trusted.status).toBe(201);
    const audience = await gh.api('POST', `/v1/orgs/${org.id}/id-jag-audiences`, {
      ...scoped,
      body: { issuer: AUDIENCE, clients: [{ app_id: bearerApp.client_id, client_id: 'agent' }], scopes: ['a'] },
    });
    expect(audience.status).toBe(201);
    userToken = (
      await gh.api('POST', `/v1/orgs/${org.id}/users/login`, {
        body: { client_id: bearerApp.client_id, email: 'ann@atk.test', password },
      })
    ).body.access_token;
    const bound = await fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        dpop: signJwt(
          key,
          { jti: randomUUID(), iat: Math.floor(Date.now() / 1000), htm: 'POST', htu: `${gh.url}/oauth/token` },
          { typ: 'dpop+jwt', jwk: key.publicJwk },
        ),
      },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: signJwt(key, assertionClaims(keyApp.client_id, gh.url)),
      }).toString(),
    }).then((r) => r.json() as Promise<{ access_token: string; token_type: string }>);
    expect(bound.token_type).toBe('DPoP');
    boundToken = bound.access_token;
    secrets.push(
      String(key.privateJwk.d),
      String(rsa.privateJwk.d),
      String(rsa.privateJwk.p),
      secretApp.client_secret,
      bearerApp.client_secret,
      boundToken.split('.')[2]!,
      userToken.split('.')[2]!,
    );
  });
  afterAll(() => gh?.close());

  const anything = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom('', 'none', 'HS256', 'RS512', 'ES256', 'EdDSA', 'PS256', '../../x', '\u0000', 'x'.repeat(5000)),
    fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  );
  const jwkVariant = fc.oneof(
    fc.constant(key.publicJwk),
    fc.constant(key.privateJwk),
    fc.constant(rsa.publicJwk),
    fc.constant({ kty: 'oct', k: 'c2VjcmV0' }),
    fc.constant({ kty: 'RSA', n: 'AQAB', e: 'AQAB' }),
    fc.constant({ kty: 'EC', crv: 'P-256', x: 'A', y: 'A' }),
    fc.constant({ kty: 'OKP', crv: 'X25519', x: 'AAAA' }),
    fc.constant({ ...rsa.publicJwk, n: 'A'.repeat(3000) }),
    anything,
  );

  /** A signed-looking JWS built from generated parts, sometimes really signed by a registered key. */
  const jws = (claims: fc.Arbitrary<Record<string, unknown>>, header: fc.Arbitrary<Record<string, unknown>>) =>
    fc
      .record({
        claims,
        header,
        sign: fc.constantFrom('es', 'rsa', 'random', 'empty', 'two-parts', 'four-parts', 'garbage'),
        sig: fc.string({ maxLength: 100 }),
      })
      .map(({ claims: c, header: h, sign, sig }) => {
        if (sign === 'es') return signJwt(key, c, h);
        if (sign === 'rsa') return signJwt(rsa, c, h);
        const body = `${b64(h)}.${b64(c)}`;
        if (sign === 'random') return `${body}.${b64(sig)}`;
        if (sign === 'empty') return `${body}.`;
        if (sign === 'two-parts') return body;
        if (sign === 'four-parts') return `${body}.${b64(sig)}.x`;
        return sig;
      });

  const assertion = jws(
    fc.record(
      {
        iss: fc.oneof(fc.constant('KEYAPP'), anything),
        sub: fc.oneof(fc.constantFrom('KEYAPP', 'app_01ARZ3NDEKTSV4RRFFQ69G5FAV'), anything),
        aud: fc.oneof(fc.constantFrom('ISSUER', 'TOKEN'), anything),
        exp: fc.oneof(fc.constantFrom('SOON'), anything, fc.integer({ min: -1e12, max: 1e12 })),
        iat: anything,
        nbf: anything,
        jti: fc.oneof(fc.uuid(), anything),
      },
      { requiredKeys: [] },
    ),
    fc.record({ alg: anything, kid: anything, typ: anything, crit: anything, jwk: jwkVariant }, { requiredKeys: [] }),
  );

  const proof = jws(
    fc.record(
      {
        jti: fc.oneof(fc.uuid(), anything),
        iat: fc.oneof(fc.constant('NOW'), anything),
        htm: fc.oneof(fc.constantFrom('POST', 'GET'), anything),
        htu: fc.oneof(fc.constantFrom('TOKEN', 'ME'), anything),
        ath: fc.oneof(fc.constant('ATH'), anything),
        nonce: anything,
      },
      { requiredKeys: [] },
    ),
    fc.record(
      { typ: fc.oneof(fc.constant('dpop+jwt'), anything), alg: anything, jwk: jwkVariant, crit: anything },
      { requiredKeys: [] },
    ),
  );

  const idJag = jws(
    fc.record(
      {
        iss: fc.oneof(fc.constant(TRUSTED), anything),
        sub: fc.oneof(fc.constantFrom('s1', 's2'), anything),
        aud: fc.oneof(fc.constant('ISSUER'), anything),
        client_id: fc.oneof(fc.constant('BEARERAPP'), anything),
        jti: fc.oneof(fc.uuid(), anything),
        iat: fc.oneof(fc.constant('NOW'), anything),
        exp: fc.oneof(fc.constant('SOON'), anything),
        resource: fc.oneof(fc.constant(RESOURCE), anything),
        scope: fc.oneof(fc.constant('a'), anything),
        email: fc.oneof(fc.constant('ann@atk.test'), anything),
        email_verified: anything,
      },
      { requiredKeys: [] },
    ),
    fc.record(
      { typ: fc.oneof(fc.constant('oauth-id-jag+jwt'), anything), alg: anything, kid: anything, crit: anything },
      { requiredKeys: [] },
    ),
  );

  /** Fills the placeholders once the server's URL and the app are known. */
  const resolve = (token: string) => {
    const now = Math.floor(Date.now() / 1000);
    const parts = token.split('.');
    if (parts.length < 2) return token;
    let payload: string;
    try {
      payload = Buffer.from(parts[1]!, 'base64url').toString('utf8');
    } catch {
      return token;
    }
    if (!/KEYAPP|BEARERAPP|ISSUER|TOKEN|SOON|NOW|"ME"|ATH/.test(payload)) return token;
    const filled = payload
      .replace(/"KEYAPP"/g, JSON.stringify(keyApp.client_id))
      .replace(/"BEARERAPP"/g, JSON.stringify(bearerApp.client_id))
      .replace(/"ISSUER"/g, JSON.stringify(gh.url))
      .replace(/"TOKEN"/g, JSON.stringify(`${gh.url}/oauth/token`))
      .replace(/"ME"/g, JSON.stringify(`${gh.url}/v1/me`))
      .replace(/"SOON"/g, String(now + 60))
      .replace(/"NOW"/g, String(now))
      .replace(/"ATH"/g, JSON.stringify(accessTokenHash(boundToken)));
    let header: Record<string, unknown> = {};
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      // not JSON: sent as generated
    }
    // Re-sign what was signed, so placeholders do not turn every valid signature into a bad one.
    if (parts[2] && header?.alg === 'ES256' && header.jwk === undefined) {
      return signJwt(key, JSON.parse(filled) as object, header);
    }
    return `${parts[0]}.${b64(filled)}.${parts.slice(2).join('.')}`;
  };

  /** A valid assertion or proof with one claim or header parameter changed (or dropped): each check in turn. */
  const mutation = fc.record({
    field: fc.constantFrom(
      'iss',
      'sub',
      'aud',
      'exp',
      'iat',
      'nbf',
      'jti',
      'htm',
      'htu',
      'ath',
      'nonce',
      'client_id',
      'resource',
      'scope',
      'email_verified',
    ),
    headerField: fc.constantFrom('alg', 'kid', 'typ', 'crit', 'jwk', 'x5u', 'jku'),
    inHeader: fc.boolean(),
    value: anything,
    drop: fc.boolean(),
  });
  const mutate = (
    claims: Record<string, unknown>,
    header: Record<string, unknown>,
    m: typeof mutation extends fc.Arbitrary<infer T> ? T : never,
  ) => {
    const c = { ...claims };
    const h = { ...header };
    const target = m.inHeader ? h : c;
    const field = m.inHeader ? m.headerField : m.field;
    if (m.drop) delete target[field];
    else target[field] = m.value;
    return signJwt(m.inHeader && field === 'jwk' ? rsa : key, c, h);
  };
  const mutatedAssertion = mutation.map((m) => mutate(assertionClaims(keyApp.client_id, gh.url), {}, m));
  const mutatedProof = mutation.map((m) =>
    mutate(
      {
        jti: randomUUID(),
        iat: Math.floor(Date.now() / 1000),
        htm: 'GET',
        htu: `${gh.url}/v1/me`,
        ath: accessTokenHash(boundToken),
      },
      { typ: 'dpop+jwt', jwk: key.publicJwk },
      m,
    ),
  );

  const mutatedIdJag = mutation.map((m) => {
    const now = Math.floor(Date.now() / 1000);
    return mutate(
      {
        iss: TRUSTED,
        sub: 's1',
        aud: gh.url,
        client_id: bearerApp.client_id,
        jti: randomUUID(),
        iat: now,
        exp: now + 60,
        resource: RESOURCE,
        scope: 'a',
        email: 'ann@atk.test',
        email_verified: true,
      },
      { typ: 'oauth-id-jag+jwt' },
      m,
    );
  });
  const bearerBasic = () =>
    `Basic ${Buffer.from(`${bearerApp.client_id}:${bearerApp.client_secret}`).toString('base64')}`;

  type Attack = { path: string; headers: Record<string, string>; body?: string; method: string };
  const attacks = fc.oneof(
    fc
      .record({
        path: fc.constantFrom('/oauth/token', '/oauth/introspect', '/oauth/revoke'),
        assertion: fc.oneof(assertion, mutatedAssertion, mutatedAssertion),
        type: fc.oneof(fc.constant(ASSERTION_TYPE), fc.constant(ASSERTION_TYPE), fc.string({ maxLength: 60 })),
        clientId: fc.option(fc.constantFrom('KEYAPP', 'app_01ARZ3NDEKTSV4RRFFQ69G5FAV', '')),
        withSecret: fc.boolean(),
      })
      .map(({ path, assertion: a, type, clientId, withSecret }): Attack => ({
        method: 'POST',
        path,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(withSecret
            ? { authorization: `Basic ${Buffer.from(`${secretApp.client_id}:x`).toString('base64')}` }
            : {}),
        },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          token: boundToken,
          client_assertion_type: type,
          client_assertion: resolve(a),
          ...(clientId !== null ? { client_id: clientId === 'KEYAPP' ? keyApp.client_id : clientId } : {}),
        }).toString(),
      })),
    fc
      .record({
        proof: fc.oneof(proof, mutatedProof, mutatedProof),
        twice: fc.boolean(),
        where: fc.constantFrom('token', 'me', 'me', 'me-bearer'),
      })
      .map(({ proof: p, twice, where }): Attack => {
        const value = resolve(p);
        const dpop = twice ? `${value}, ${value}` : value;
        if (where === 'token') {
          return {
            method: 'POST',
            path: '/oauth/token',
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              authorization: `Basic ${Buffer.from(`${secretApp.client_id}:${secretApp.client_secret}`).toString('base64')}`,
              dpop,
            },
            body: 'grant_type=client_credentials',
          };
        }
        return {
          method: 'GET',
          path: '/v1/me',
          headers: { authorization: `${where === 'me' ? 'DPoP' : 'Bearer'} ${boundToken}`, dpop },
        };
      }),
  );

  const idJagAttacks = fc.oneof(
    fc
      .record({
        grant: fc.oneof(idJag, mutatedIdJag, mutatedIdJag),
        scope: fc.option(fc.oneof(fc.constant('a'), fc.string({ maxLength: 40 }))),
        resource: fc.option(fc.oneof(fc.constant(RESOURCE), fc.string({ maxLength: 40 }))),
      })
      .map(({ grant, scope, resource }): Attack => ({
        method: 'POST',
        path: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: bearerBasic() },
        body: new URLSearchParams({
          grant_type: JWT_BEARER,
          assertion: resolve(grant),
          ...(scope !== null ? { scope } : {}),
          ...(resource !== null ? { resource } : {}),
        }).toString(),
      })),
    fc
      .record({
        subject: fc.constantFrom('user', 'bound', 'garbage', 'none'),
        subjectType: fc.oneof(fc.constant(AT), fc.string({ maxLength: 60 })),
        audience: fc.array(fc.oneof(fc.constant(AUDIENCE), fc.string({ maxLength: 60 })), { maxLength: 2 }),
        resource: fc.option(fc.oneof(fc.constant(RESOURCE), fc.string({ maxLength: 60 }))),
        scope: fc.option(fc.oneof(fc.constant('a'), fc.string({ maxLength: 40 }))),
        actor: fc.boolean(),
      })
      .map(({ subject, subjectType, audience, resource, scope, actor }): Attack => {
        const body = new URLSearchParams({
          grant_type: EXCHANGE,
          requested_token_type: 'urn:ietf:params:oauth:token-type:id-jag',
          subject_token_type: subjectType,
        });
        const token = { user: userToken, bound: boundToken, garbage: 'x.y.z', none: '' }[subject];
        if (token) body.set('subject_token', token);
        for (const a of audience) body.append('audience', a);
        if (resource !== null) body.set('resource', resource);
        if (scope !== null) body.set('scope', scope);
        if (actor) body.set('actor_token', userToken);
        return {
          method: 'POST',
          path: '/oauth/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: bearerBasic() },
          body: body.toString(),
        };
      }),
  );

  it(`answers generated assertion and proof attacks without a 5xx, a leak or a secret, and stays ready`, async () => {
    const samples: Attack[] = fc.sample(fc.oneof(attacks, attacks, idJagAttacks), { seed: SEED, numRuns: REQUESTS });
    const failures: string[] = [];
    const statuses: Record<number, number> = {};
    let next = 0;
    let accepted = 0;
    const worker = async () => {
      while (next < samples.length && failures.length < 5) {
        const index = next++;
        const a = samples[index]!;
        const res = await fetch(gh.url + a.path, { method: a.method, headers: a.headers, body: a.body }).catch(
          (err: Error) => ({ status: 0, text: () => Promise.resolve(err.message) }),
        );
        const text = await res.text();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === 200 && a.path !== '/oauth/revoke' && a.path !== '/oauth/introspect') accepted++;
        const leaked = secrets.find((s) => text.includes(s));
        if (res.status === 0 || res.status >= 500 || LEAK.test(text) || leaked) {
          failures.push(`seed ${SEED} #${index}: ${res.status} ${a.method} ${a.path} -> ${text.slice(0, 300)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    console.log(`[keys-attacks] seed ${SEED}: ${samples.length} requests, statuses ${JSON.stringify(statuses)}`);
    // The ID-JAG surfaces were reached: refusals were audited on both sides.
    const idJagRows = await gh.sql<{ action: string; n: number }>(
      `SELECT action, count(*)::int AS n FROM audit_events WHERE action IN ('id_jag.rejected', 'id_jag.issued') GROUP BY action`,
    );
    expect(idJagRows.map((r) => r.action).sort()).toEqual(['id_jag.issued', 'id_jag.rejected']);
    expect(failures).toEqual([]);
    // Some generated requests are legitimate (a real signature over good claims); most are not.
    expect(statuses[401]! + (statuses[400] ?? 0)).toBeGreaterThan(samples.length / 2);
    expect(accepted).toBeLessThan(samples.length / 2);

    // No private key, client secret or bound token in the log or the audit log.
    const logs = gh.logs.join('\n');
    const audit = JSON.stringify(await gh.sql(`SELECT reason, details FROM audit_events`));
    for (const s of secrets) {
      expect(logs.includes(s)).toBe(false);
      expect(audit.includes(s)).toBe(false);
    }
    expect((await gh.api('GET', '/readyz')).status).toBe(200);
  });
});
