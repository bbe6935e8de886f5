import type { ClientRecord } from '../client-cache';
import { FormParams } from '../form-params';
import { checkAuthorizationRequest } from './authorization-checks';
import type { AuthorizationContext } from './authorization-request';

const client = (over: Partial<ClientRecord['signIn']> = {}, grantTypes = ['authorization_code']): ClientRecord =>
  ({
    id: 'app_01J00000000000000000000000',
    orgId: 'org_1',
    orgName: 'acme',
    scopes: ['notes:read', 'notes:write'],
    audiences: ['https://api.example/'],
    resources: [{ identifier: 'https://api.example/', scopes: ['notes:read'], tokenTtlS: null }],
    grantTypes,
    signIn: {
      name: 'Notes',
      clientType: 'confidential',
      redirectUris: ['https://app.example/cb'],
      postLogoutRedirectUris: [],
      requirePkce: true,
      consent: 'required',
      logoUri: null,
      clientUri: null,
      policyUri: null,
      tosUri: null,
      passwordLogin: false,
      ...over,
    },
  }) as unknown as ClientRecord;

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const good = {
  client_id: 'app_01J00000000000000000000000',
  redirect_uri: 'https://app.example/cb',
  response_type: 'code',
  code_challenge: CHALLENGE,
  code_challenge_method: 'S256',
  scope: 'openid email notes:read',
  state: 's1',
};

function run(
  params: Record<string, string | string[]>,
  c: ClientRecord | null = client(),
  org?: AuthorizationContext['organization'],
) {
  const pairs: [string, string][] = [];
  for (const [k, v] of Object.entries(params)) for (const x of [v].flat()) pairs.push([k, x]);
  return checkAuthorizationRequest({
    params: FormParams.from(pairs),
    client: c,
    organization: org,
    defaultAudience: 'https://gatehouse.example',
    request: {},
  });
}
const failure = (r: ReturnType<typeof run>) =>
  r.ok ? null : { where: r.failure.where, error: r.failure.error, state: r.state };

describe('the authorization checks', () => {
  it('pass a well-formed request and build what the code is bound to', () => {
    const r = run(good);
    expect(r).toEqual({
      ok: true,
      request: expect.objectContaining({
        clientId: good.client_id,
        orgId: 'org_1',
        redirectUri: good.redirect_uri,
        responseMode: 'query',
        state: 's1',
        nonce: null,
        codeChallenge: CHALLENGE,
        codeChallengeMethod: 'S256',
        scopes: ['openid', 'email', 'notes:read'],
        resource: null,
        prompt: [],
        maxAge: null,
      }),
    });
  });

  it('check-client and check-redirect-uri: failures before the URI is trusted are pages', () => {
    expect(failure(run({ ...good, client_id: '' }))).toMatchObject({ where: 'page', error: 'invalid_request' });
    expect(failure(run(good, null))).toMatchObject({ where: 'page', error: 'invalid_client' });
    expect(failure(run({ ...good, client_id: [good.client_id, good.client_id] }))).toMatchObject({ where: 'page' });
    for (const near of [
      'https://app.example/cb/',
      'https://app.example:444/cb',
      'http://app.example/cb',
      'https://app.example/cb/x',
    ]) {
      expect(failure(run({ ...good, redirect_uri: near }))).toMatchObject({
        where: 'page',
        error: 'invalid_redirect_uri',
      });
    }
    expect(failure(run({ ...good, redirect_uri: '' }))).toMatchObject({ where: 'page', error: 'invalid_request' });
  });

  it('check-parameters: a repeated parameter or a request object is a redirected error that keeps state', () => {
    expect(failure(run({ ...good, scope: ['openid', 'email'] }))).toEqual({
      where: 'redirect',
      error: 'invalid_request',
      state: 's1',
    });
    expect(failure(run({ ...good, request: 'x' }))).toMatchObject({ error: 'request_not_supported' });
    expect(failure(run({ ...good, request_uri: 'x' }))).toMatchObject({ error: 'request_uri_not_supported' });
  });

  it('check-response-type: code only, for clients allowed the grant', () => {
    expect(failure(run({ ...good, response_type: 'token' }))).toMatchObject({ error: 'unsupported_response_type' });
    expect(failure(run({ ...good, response_type: 'code id_token' }))).toMatchObject({
      error: 'unsupported_response_type',
    });
    expect(failure(run({ ...good, response_mode: 'fragment' }))).toMatchObject({ error: 'invalid_request' });
    expect(failure(run(good, client({}, ['client_credentials'])))).toMatchObject({ error: 'unauthorized_client' });
  });

  it('check-pkce: S256 required where the client requires it, plain refused', () => {
    expect(failure(run({ ...good, code_challenge_method: 'plain' }))).toMatchObject({ error: 'invalid_request' });
    const { code_challenge_method: _m, ...noMethod } = good;
    expect(failure(run(noMethod))).toMatchObject({ error: 'invalid_request' });
    const { code_challenge: _c, ...none } = noMethod;
    expect(failure(run(none))).toMatchObject({ error: 'invalid_request' });
    expect(run(none, client({ requirePkce: false }))).toMatchObject({ ok: true, request: { codeChallenge: null } });
    expect(failure(run({ ...good, code_challenge: 'short' }))).toMatchObject({ error: 'invalid_request' });
  });

  it('check-scope: OIDC scopes and the app’s own; nothing else; none asked: the app’s scopes', () => {
    expect(failure(run({ ...good, scope: 'openid admin' }))).toMatchObject({ error: 'invalid_scope' });
    const { scope: _s, ...noScope } = good;
    expect(run(noScope)).toMatchObject({ ok: true, request: { scopes: ['notes:read', 'notes:write'] } });
  });

  it('check-resource: one registered resource of the app, scopes it declares', () => {
    expect(run({ ...good, resource: 'https://api.example/' })).toMatchObject({
      ok: true,
      request: { resource: 'https://api.example/', scopes: ['openid', 'email', 'notes:read'] },
    });
    expect(failure(run({ ...good, resource: 'https://other.example/' }))).toMatchObject({ error: 'invalid_target' });
    expect(failure(run({ ...good, resource: 'https://api.example/', scope: 'openid notes:write' }))).toMatchObject({
      error: 'invalid_scope',
    });
  });

  it('check-organization: the parameter must name the client’s org', () => {
    expect(run({ ...good, organization: 'acme' }, client(), { id: 'org_1', name: 'acme' }).ok).toBe(true);
    expect(failure(run({ ...good, organization: 'other' }, client(), { id: 'org_2', name: 'other' }))).toMatchObject({
      error: 'invalid_request',
    });
    expect(failure(run({ ...good, organization: 'nope' }, client(), null))).toMatchObject({ error: 'invalid_request' });
  });

  it('check-prompt: none alone, known values, max_age in seconds', () => {
    expect(run({ ...good, prompt: 'login consent', max_age: '300' })).toMatchObject({
      ok: true,
      request: { prompt: ['login', 'consent'], maxAge: 300 },
    });
    expect(failure(run({ ...good, prompt: 'none login' }))).toMatchObject({ error: 'invalid_request' });
    expect(failure(run({ ...good, prompt: 'bogus' }))).toMatchObject({ error: 'invalid_request' });
    expect(failure(run({ ...good, max_age: '-1' }))).toMatchObject({ error: 'invalid_request' });
  });

  it('check-state-nonce: bounded', () => {
    expect(failure(run({ ...good, nonce: 'n'.repeat(2000) }))).toMatchObject({ error: 'invalid_request', state: 's1' });
    expect(failure(run({ ...good, state: 's'.repeat(2000) }))).toMatchObject({ error: 'invalid_request', state: null });
  });
});
