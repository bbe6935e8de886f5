import { checkClientIdUrl, isUrlClientId } from './client-id-url';

describe('checkClientIdUrl (docs/client-registration.md#the-client_id-url)', () => {
  const strict = { allowLoopback: false };
  const reason = (id: string, opts = strict) => {
    const r = checkClientIdUrl(id, opts);
    return r.ok ? 'ok' : r.reason;
  };

  it('accepts an https URL with a path, a port or a query', () => {
    for (const id of [
      'https://client.example.com/oauth/metadata.json',
      'https://client.example.com:8443/m',
      'https://client.example.com/m?v=2',
    ]) {
      expect(reason(id)).toBe('ok');
    }
  });

  it.each([
    ['https://client.example.com', 'has no path'],
    ['https://client.example.com/', 'has no path'],
    ['https://client.example.com/m#x', 'has a fragment'],
    ['https://client.example.com/m#', 'has a fragment'],
    ['https://user@client.example.com/m', 'has userinfo'],
    ['https://user:pw@client.example.com/m', 'has userinfo'],
    ['https://client.example.com/a/../m', 'has a dot segment'],
    ['https://client.example.com/./m', 'has a dot segment'],
    ['https://client.example.com/a/%2E%2e/m', 'has a dot segment'],
    ['http://client.example.com/m', 'is not https'],
    ['ftp://client.example.com/m', 'is not https'],
    ['https://Client.Example.com/m', 'is not in canonical form (https://client.example.com/m)'],
    ['https://client.example.com:443/m', 'is not in canonical form (https://client.example.com/m)'],
    ['https://client.example.com/m n', 'contains whitespace, a control character or a backslash'],
    ['https://client.example.com\\m', 'contains whitespace, a control character or a backslash'],
    ['not a url', 'contains whitespace, a control character or a backslash'],
    ['https://', 'is not an absolute URL'],
  ])('%s is refused: %s', (id, why) => {
    expect(reason(id)).toBe(why);
  });

  it('refuses a URL longer than 2048 characters', () => {
    expect(reason(`https://client.example.com/${'a'.repeat(2048)}`)).toBe('is longer than 2048 characters');
  });

  it('allows http only to loopback, and only with GATEHOUSE_CIMD_ALLOW_LOOPBACK', () => {
    expect(reason('http://127.0.0.1:8080/m')).toBe('is not https');
    expect(reason('http://127.0.0.1:8080/m', { allowLoopback: true })).toBe('ok');
    expect(reason('http://localhost:8080/m', { allowLoopback: true })).toBe('ok');
    expect(reason('http://client.example.com/m', { allowLoopback: true })).toBe('is not https');
  });

  it('tells URL client ids from registered ones', () => {
    expect(isUrlClientId('https://c.example/m')).toBe(true);
    expect(isUrlClientId('HTTP://c.example/m')).toBe(true);
    expect(isUrlClientId('app_01J0000000000000000000000')).toBe(false);
    expect(isUrlClientId('dcr_01J0000000000000000000000')).toBe(false);
  });
});
