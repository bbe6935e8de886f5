import { parseCookies, refreshCookie, REFRESH_COOKIE } from './session-cookie';

describe('console refresh cookie', () => {
  it('is HttpOnly, SameSite=Strict and scoped to the session routes', () => {
    const c = refreshCookie('ghr_abc.DEF-1_2', { maxAgeS: 60, secure: false });
    expect(c).toBe(
      `${REFRESH_COOKIE}=ghr_abc.DEF-1_2; Path=/v1/console/session; Max-Age=60; HttpOnly; SameSite=Strict`,
    );
  });

  it('is Secure when served over https', () => {
    expect(refreshCookie('x', { maxAgeS: 1, secure: true })).toMatch(/; Secure$/);
  });

  it('deletes with Max-Age=0', () => {
    expect(refreshCookie('', { maxAgeS: -5, secure: false })).toContain('Max-Age=0');
  });

  it('refuses a value that would inject attributes', () => {
    expect(() => refreshCookie('a; Domain=evil.test', { maxAgeS: 1, secure: false })).toThrow();
  });

  it('parses a Cookie header, first value of a name winning', () => {
    const m = parseCookies(`a=1; ${REFRESH_COOKIE}="tok"; a=2; junk; =x`);
    expect(m.get('a')).toBe('1');
    expect(m.get(REFRESH_COOKIE)).toBe('tok');
    expect(m.size).toBe(2);
    expect(parseCookies(undefined).size).toBe(0);
  });
});
