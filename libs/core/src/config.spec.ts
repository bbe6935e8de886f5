import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from './config';

const kek = randomBytes(32).toString('base64');

describe('loadConfig', () => {
  it('runs embedded with no environment at all', () => {
    const c = loadConfig({}, { cwd: '/srv/gh' });
    expect(c.database).toEqual({ mode: 'embedded' });
    expect(c.redisUrl).toBeNull();
    expect(c.kek).toBeNull();
    expect(c.dataDir).toBe('/srv/gh/.gatehouse');
    expect(c.port).toBe(3000);
    expect(c.issuer).toBe('http://127.0.0.1:3000');
    expect(c.audience).toBe(c.issuer);
    expect(c.bcryptCost).toBe(12);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('uses the production variables when set', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgresql://u@db/gh',
      REDIS_URL: 'redis://cache:6379',
      GATEHOUSE_KEK: kek,
      GATEHOUSE_ISSUER: 'https://id.example.com/',
      PORT: '8080',
      HOST: '0.0.0.0',
    });
    expect(c.database).toEqual({ mode: 'external', url: 'postgresql://u@db/gh' });
    expect(c.kek?.length).toBe(32);
    expect(c.issuer).toBe('https://id.example.com');
    expect(c.audience).toBe('https://id.example.com');
    expect(c.port).toBe(8080);
  });

  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
    ['REDIS_URL', { REDIS_URL: 'http://x' }],
    ['GATEHOUSE_KEK', { GATEHOUSE_KEK: 'c2hvcnQ=' }],
    ['GATEHOUSE_ISSUER', { GATEHOUSE_ISSUER: 'not a url' }],
    ['GATEHOUSE_BCRYPT_COST', { GATEHOUSE_BCRYPT_COST: '4' }],
    ['GATEHOUSE_RSA_BITS', { GATEHOUSE_RSA_BITS: '1024' }],
  ])('a bad %s stops start-up with a message naming it', (name, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    try {
      loadConfig(env);
    } catch (err) {
      expect((err as ConfigError).issues.map((i) => i.variable)).toContain(name);
      expect((err as Error).message).toContain(name);
    }
  });

  it('refuses DATABASE_URL without GATEHOUSE_KEK (a local KEK would strand other instances)', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgresql://u@db/gh' })).toThrow(/GATEHOUSE_KEK/);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', REDIS_URL: '' }).port).toBe(3000);
  });
});
