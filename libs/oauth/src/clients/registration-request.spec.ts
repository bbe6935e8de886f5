import { InvalidClientMetadata, InvalidRedirectUri } from '@gatehouse/core';
import { generateKeyPairSync } from 'node:crypto';
import { parseRegistrationRequest } from './registration-request';

const pub = { allowConfidential: false };

describe('parseRegistrationRequest (RFC 7591 §2; docs/client-registration.md#dynamic-client-registration)', () => {
  it('registers a public native client by default, as MCP clients send it', () => {
    expect(
      parseRegistrationRequest(
        {
          client_name: 'Agent',
          redirect_uris: ['http://localhost:4000/callback'],
          grant_types: ['authorization_code', 'refresh_token'],
        },
        pub,
      ),
    ).toEqual({
      clientName: 'Agent',
      applicationType: 'native',
      redirectUris: ['http://localhost:4000/callback'],
      grantTypes: ['authorization_code', 'refresh_token'],
      tokenEndpointAuthMethod: 'none',
      metadata: {},
    });
  });

  it('names a nameless client after its redirect host and keeps the RFC 7591 members it knows', () => {
    const r = parseRegistrationRequest(
      {
        redirect_uris: ['https://app.example.com/cb'],
        client_uri: 'https://app.example.com',
        contacts: ['ops@example.com'],
        extra: 1,
      },
      pub,
    );
    expect(r.clientName).toBe('Client at app.example.com');
    expect(r.applicationType).toBe('web');
    expect(r.metadata).toEqual({ client_uri: 'https://app.example.com', contacts: ['ops@example.com'] });
  });

  it('takes a confidential client only where allowed', () => {
    const body = { redirect_uris: ['https://app.example.com/cb'], token_endpoint_auth_method: 'client_secret_basic' };
    expect(() => parseRegistrationRequest(body, pub)).toThrow(InvalidClientMetadata);
    expect(parseRegistrationRequest(body, { allowConfidential: true }).tokenEndpointAuthMethod).toBe(
      'client_secret_basic',
    );
  });

  it.each([
    ['no redirect_uris', {}, InvalidRedirectUri],
    [
      'a web client on loopback',
      { application_type: 'web', redirect_uris: ['http://127.0.0.1/cb'] },
      InvalidRedirectUri,
    ],
    [
      'a native client on a remote http host',
      { application_type: 'native', redirect_uris: ['http://a.example/cb'] },
      InvalidRedirectUri,
    ],
    [
      'a bad application_type',
      { application_type: 'tv', redirect_uris: ['https://a.example/cb'] },
      InvalidClientMetadata,
    ],
    [
      'private_key_jwt from a public-only server',
      { token_endpoint_auth_method: 'private_key_jwt', redirect_uris: ['https://a.example/cb'] },
      InvalidClientMetadata,
    ],
    [
      'jwks_uri',
      { jwks_uri: 'https://a.example/jwks', redirect_uris: ['https://a.example/cb'] },
      InvalidClientMetadata,
    ],
    [
      'client_credentials',
      { grant_types: ['client_credentials'], redirect_uris: ['https://a.example/cb'] },
      InvalidClientMetadata,
    ],
    [
      'refresh without code',
      { grant_types: ['refresh_token'], redirect_uris: ['https://a.example/cb'] },
      InvalidClientMetadata,
    ],
    [
      'response type token',
      { response_types: ['token'], redirect_uris: ['https://a.example/cb'] },
      InvalidClientMetadata,
    ],
    [
      'a long client_name',
      { client_name: 'x'.repeat(201), redirect_uris: ['https://a.example/cb'] },
      InvalidClientMetadata,
    ],
    ['a non-object body', 'text', InvalidClientMetadata],
  ])('refuses %s', (_what, body, error) => {
    expect(() => parseRegistrationRequest(body, pub)).toThrow(error);
  });

  describe('private_key_jwt (docs/client-registration.md#dynamic-client-registration)', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwks = { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256' }] };
    const base = { redirect_uris: ['https://a.example/cb'], token_endpoint_auth_method: 'private_key_jwt' };
    const conf = { allowConfidential: true };

    it('registers the key set (jwks) or its URL (jwks_uri), kept in the metadata', () => {
      expect(parseRegistrationRequest({ ...base, jwks }, conf)).toMatchObject({
        tokenEndpointAuthMethod: 'private_key_jwt',
        metadata: { jwks },
      });
      expect(parseRegistrationRequest({ ...base, jwks_uri: 'https://a.example/jwks' }, conf)).toMatchObject({
        metadata: { jwks_uri: 'https://a.example/jwks' },
      });
    });

    it.each([
      ['without keys', base, conf],
      ['with both jwks and jwks_uri', { ...base, jwks, jwks_uri: 'https://a.example/jwks' }, conf],
      ['with an http jwks_uri', { ...base, jwks_uri: 'http://a.example/jwks' }, conf],
      [
        'with a private key in jwks',
        { ...base, jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' }] } },
        conf,
      ],
      ['where no organization takes confidential clients', { ...base, jwks }, pub],
      ['jwks with another method', { redirect_uris: ['https://a.example/cb'], jwks }, conf],
    ])('refuses it %s', (_what, body, opts) => {
      expect(() => parseRegistrationRequest(body, opts)).toThrow(InvalidClientMetadata);
    });
  });
});
