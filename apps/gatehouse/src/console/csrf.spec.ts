import { consoleOrigins, csrfRefusal } from './csrf';

const ORIGINS = ['http://127.0.0.1:3000'];

describe('console CSRF check', () => {
  it('lets a same-origin console request through', () => {
    expect(csrfRefusal({ origin: ORIGINS[0], consoleHeader: '1', fetchSite: 'same-origin' }, ORIGINS)).toBeNull();
    expect(csrfRefusal({ origin: ORIGINS[0], consoleHeader: '1' }, ORIGINS)).toBeNull();
  });

  it.each([
    [{ origin: ORIGINS[0] }, 'header'],
    [{ origin: ORIGINS[0], consoleHeader: 'yes' }, 'header'],
    [{ consoleHeader: '1' }, 'Origin'],
    [{ origin: 'null', consoleHeader: '1' }, 'Origin'],
    [{ origin: 'https://evil.test', consoleHeader: '1' }, 'Origin'],
    [{ origin: ORIGINS[0], consoleHeader: '1', fetchSite: 'cross-site' }, 'cross-site'],
    [{ origin: ORIGINS[0], consoleHeader: '1', fetchSite: 'same-site' }, 'cross-site'],
  ])('refuses %j', (input, why) => {
    expect(csrfRefusal(input, ORIGINS)).toContain(why);
  });

  it('accepts the issuer origin and the one the request reached', () => {
    expect(consoleOrigins('https://id.example.com/', 'http', 'localhost:3000')).toEqual([
      'https://id.example.com',
      'http://localhost:3000',
    ]);
    expect(consoleOrigins('https://id.example.com', 'http', 'bad host/')).toEqual(['https://id.example.com']);
  });
});
