import { allLoopback, checkRedirectUris, redirectHosts } from './redirect-uris';

describe('redirect URI rules (docs/client-registration.md#redirect-uris)', () => {
  it('a web client redirects to https on a real host only', () => {
    expect(checkRedirectUris(['https://app.example.com/cb'], 'web')).toEqual({ applicationType: 'web', issues: [] });
    expect(checkRedirectUris(['http://127.0.0.1:3000/cb'], 'web').issues).toEqual([
      'redirect_uris[0]: a web client redirects to https on a host that is not loopback',
    ]);
    expect(checkRedirectUris(['https://localhost/cb'], 'web').issues).toHaveLength(1);
    expect(checkRedirectUris(['com.example.app:/cb'], 'web').issues).toHaveLength(1);
  });

  it('a native client may use loopback http, a private-use scheme or https', () => {
    expect(
      checkRedirectUris(
        [
          'http://127.0.0.1:49152/cb',
          'http://[::1]/cb',
          'http://localhost:1/cb',
          'com.example.app:/cb',
          'https://app.example.com/cb',
        ],
        'native',
      ),
    ).toEqual({ applicationType: 'native', issues: [] });
    expect(checkRedirectUris(['http://app.example.com/cb'], 'native').issues).toEqual([
      'redirect_uris[0] uses http on a host that is not loopback',
    ]);
    expect(checkRedirectUris(['myapp:/cb'], 'native').issues).toEqual([
      'redirect_uris[0] uses the scheme myapp, which is not allowed',
    ]);
  });

  it('infers native when every URI is loopback or private-use, web otherwise', () => {
    expect(checkRedirectUris(['http://127.0.0.1:3000/callback']).applicationType).toBe('native');
    expect(checkRedirectUris(['com.example.app:/cb', 'http://localhost/cb']).applicationType).toBe('native');
    const mixed = checkRedirectUris(['https://app.example.com/cb', 'http://127.0.0.1/cb']);
    expect(mixed.applicationType).toBe('web');
    expect(mixed.issues).toHaveLength(1);
  });

  it.each([
    [[], 'redirect_uris must list at least one URI'],
    [['https://a.example/cb#x'], 'redirect_uris[0] has a fragment'],
    [['https://u@a.example/cb'], 'redirect_uris[0] has userinfo'],
    [['https://*.example/cb'], 'redirect_uris[0] contains whitespace, a backslash or a wildcard'],
    [['/cb'], 'redirect_uris[0] is not an absolute URI'],
    [['javascript:alert(1)'], 'redirect_uris[0] uses the scheme javascript, which is not allowed'],
    [['https://a.example/cb', 'https://a.example/cb'], 'redirect_uris lists a URI twice'],
  ])('%j is refused', (uris, issue) => {
    expect(checkRedirectUris(uris as string[], 'web').issues).toContain(issue);
  });

  it('reports the hosts and whether all of them are loopback (the consent page)', () => {
    expect(redirectHosts(['https://a.example/x', 'https://a.example/y', 'com.example.app:/cb'])).toEqual([
      'a.example',
      'com.example.app',
    ]);
    expect(allLoopback(['http://127.0.0.1:5/cb', 'http://localhost/cb'])).toBe(true);
    expect(allLoopback(['http://127.0.0.1:5/cb', 'https://a.example/cb'])).toBe(false);
    expect(allLoopback([])).toBe(false);
  });
});
