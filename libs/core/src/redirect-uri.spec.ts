import { redirectUriMatches, redirectUriProblem } from './redirect-uri';

describe('redirect URIs', () => {
  it('registers https, and http only to a loopback host', () => {
    expect(redirectUriProblem('https://app.example/cb')).toBeNull();
    expect(redirectUriProblem('http://127.0.0.1/cb')).toBeNull();
    expect(redirectUriProblem('http://[::1]:8080/cb')).toBeNull();
    expect(redirectUriProblem('http://localhost/cb')).toBeNull();
    expect(redirectUriProblem('http://app.example/cb')).toMatch(/https/);
    expect(redirectUriProblem('https://app.example/cb#x')).toMatch(/fragment/);
    expect(redirectUriProblem('https://u:p@app.example/cb')).toMatch(/userinfo/);
    expect(redirectUriProblem('/cb')).toMatch(/absolute/);
    expect(redirectUriProblem('javascript:alert(1)')).toMatch(/https/);
  });

  it('matches exactly: no trailing slash, other port, other scheme or added path', () => {
    const reg = ['https://app.example/cb'];
    expect(redirectUriMatches(reg, 'https://app.example/cb', 'confidential')).toBe(true);
    for (const near of [
      'https://app.example/cb/',
      'https://app.example:8443/cb',
      'http://app.example/cb',
      'https://app.example/cb/more',
      'https://APP.example/cb',
      'https://app.example/cb?x=1',
    ]) {
      expect(redirectUriMatches(reg, near, 'confidential')).toBe(false);
      expect(redirectUriMatches(reg, near, 'public')).toBe(false);
    }
  });

  it('lets a public client use any port of a registered loopback redirect, nothing else', () => {
    const reg = ['http://127.0.0.1/callback'];
    expect(redirectUriMatches(reg, 'http://127.0.0.1:51234/callback', 'public')).toBe(true);
    expect(redirectUriMatches(reg, 'http://127.0.0.1:51234/callback', 'confidential')).toBe(false);
    expect(redirectUriMatches(reg, 'http://127.0.0.1:51234/other', 'public')).toBe(false);
    expect(redirectUriMatches(reg, 'http://[::1]:51234/callback', 'public')).toBe(false);
    expect(redirectUriMatches(reg, 'https://127.0.0.1:51234/callback', 'public')).toBe(false);
    expect(redirectUriMatches(['https://app.example/cb'], 'https://app.example:1/cb', 'public')).toBe(false);
  });
});
