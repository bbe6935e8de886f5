import { ClientRefused } from './client-refused';
import { parseMetadataDocument } from './metadata-document';

const URL_ID = 'https://client.example.com/oauth/client.json';
const good = { client_id: URL_ID, client_name: 'Example agent', redirect_uris: ['http://127.0.0.1:3000/cb'] };
const parse = (doc: unknown, id = URL_ID) => parseMetadataDocument(id, Buffer.from(JSON.stringify(doc)));
const code = (doc: unknown) => {
  try {
    parse(doc);
    return 'ok';
  } catch (e) {
    if (e instanceof ClientRefused) return e.code;
    throw e;
  }
};

describe('parseMetadataDocument (docs/client-registration.md#the-document)', () => {
  it('accepts a minimal document with defaults and records its hash', () => {
    const d = parse(good);
    expect(d).toMatchObject({
      clientId: URL_ID,
      clientName: 'Example agent',
      redirectUris: ['http://127.0.0.1:3000/cb'],
      applicationType: 'native',
      tokenEndpointAuthMethod: 'none',
      grantTypes: ['authorization_code'],
    });
    expect(d.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts private_key_jwt with keys', () => {
    expect(
      parse({ ...good, token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://client.example.com/jwks' })
        .tokenEndpointAuthMethod,
    ).toBe('private_key_jwt');
  });

  it.each([
    ['a body that is not JSON', 'not_json', undefined],
    ['an array', 'not_json', []],
    ['another client_id', 'client_id_mismatch', { ...good, client_id: 'https://client.example.com/other' }],
    [
      'a client_id spelt differently',
      'client_id_mismatch',
      { ...good, client_id: 'https://CLIENT.example.com/oauth/client.json' },
    ],
    ['no client_id', 'client_id_mismatch', { client_name: 'x', redirect_uris: good.redirect_uris }],
    ['no client_name', 'missing_client_name', { client_id: URL_ID, redirect_uris: good.redirect_uris }],
    ['an empty client_name', 'missing_client_name', { ...good, client_name: ' ' }],
    ['no redirect_uris', 'invalid_redirect_uris', { client_id: URL_ID, client_name: 'x' }],
    ['empty redirect_uris', 'invalid_redirect_uris', { ...good, redirect_uris: [] }],
    ['a bad redirect URI', 'invalid_redirect_uris', { ...good, redirect_uris: ['http://evil.example/cb'] }],
    [
      'a client secret method',
      'auth_method_not_allowed',
      { ...good, token_endpoint_auth_method: 'client_secret_basic' },
    ],
    ['a client_secret', 'auth_method_not_allowed', { ...good, client_secret: 's' }],
    ['private_key_jwt without keys', 'invalid_metadata', { ...good, token_endpoint_auth_method: 'private_key_jwt' }],
    ['an implicit grant', 'invalid_metadata', { ...good, grant_types: ['implicit'] }],
    ['a token response type', 'invalid_metadata', { ...good, response_types: ['token'] }],
    ['an unknown application_type', 'invalid_metadata', { ...good, application_type: 'desktop' }],
    ['a non-string logo_uri', 'invalid_metadata', { ...good, logo_uri: 5 }],
    [
      'an http jwks_uri',
      'invalid_metadata',
      { ...good, token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://c.example/j' },
    ],
    [
      'jwks that are not a JWK Set',
      'invalid_metadata',
      { ...good, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: 'x' } },
    ],
    [
      'a private key in jwks',
      'invalid_metadata',
      { ...good, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'oct', k: 'AAAA' }] } },
    ],
    ['both jwks and jwks_uri', 'invalid_metadata', { ...good, jwks: { keys: [] }, jwks_uri: 'https://c.example/j' }],
  ])('refuses %s', (_what, expected, doc) => {
    if (doc === undefined) {
      expect(() => parseMetadataDocument(URL_ID, Buffer.from('{nope'))).toThrow(
        expect.objectContaining({ code: expected }),
      );
    } else expect(code(doc)).toBe(expected);
  });

  it('never quotes the document in its message', () => {
    try {
      parse({ ...good, client_id: 'https://client.example.com/<secret>' });
    } catch (e) {
      expect((e as Error).message).not.toContain('<secret>');
    }
  });
});
