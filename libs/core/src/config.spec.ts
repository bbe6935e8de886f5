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

  it('logs for people on a terminal and JSON otherwise, in production, or when told (docs/reliability.md#logs)', () => {
    expect(loadConfig({}, { tty: true }).logFormat).toBe('pretty');
    expect(loadConfig({}, { tty: false }).logFormat).toBe('json');
    expect(loadConfig({}).logFormat).toBe('json');
    expect(loadConfig({ NODE_ENV: 'production' }, { tty: true }).logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'json' }, { tty: true }).logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'pretty' }, { tty: false }).logFormat).toBe('pretty');
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
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

  it('takes a Redis Cluster as seed nodes, and refuses it together with REDIS_URL', () => {
    const c = loadConfig({ REDIS_CLUSTER_NODES: 'redis-a:7000, redis-b:7001,10.0.0.3:7002' });
    expect(c.redisClusterNodes).toEqual(['redis-a:7000', 'redis-b:7001', '10.0.0.3:7002']);
    expect(c.redisUrl).toBe('redis://redis-a:7000');
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'rediss://:pw@redis-a:7000' }).redisUrl).toBe('rediss://:pw@redis-a:7000');
    expect(loadConfig({ REDIS_URL: 'redis://cache:6379' }).redisClusterNodes).toBeNull();
    const fails = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (err) {
        return (err as ConfigError).issues.map((i) => i.variable);
      }
      return [];
    };
    expect(fails({ REDIS_URL: 'redis://cache:6379', REDIS_CLUSTER_NODES: 'a:7000' })).toEqual(['REDIS_CLUSTER_NODES']);
    expect(fails({ REDIS_CLUSTER_NODES: 'a:7000,,b:7001' })).toEqual(['REDIS_CLUSTER_NODES']);
    expect(fails({ REDIS_CLUSTER_NODES: 'http://a:7000' })).toEqual(['REDIS_CLUSTER_NODES']);
    expect(fails({ REDIS_CLUSTER_NODES: 'a' })).toEqual(['REDIS_CLUSTER_NODES']);
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

  describe('signing-key lifecycle (docs/design.md §4)', () => {
    const issuesOf = (env: Record<string, string>): string[] => {
      try {
        loadConfig(env);
      } catch (err) {
        if (err instanceof ConfigError) return err.issues.map((i) => i.variable);
        throw err;
      }
      return [];
    };

    it('defaults to a 30-day rotation, a 24 h overlap and publish-ahead of reload + max-age + skew', () => {
      const c = loadConfig({});
      expect(c.keys).toEqual({ rotationS: 30 * 86400, overlapS: 86400, publishAheadS: 30 + 300 + 60 });
      expect(c.clockSkewS).toBe(60);
      expect(Object.isFrozen(c.keys)).toBe(true);
    });

    it('accepts the smallest overlap that outlives every token: reload + longest TTL + max-age + skew', () => {
      // 30 s reload + 3600 s (apps may ask for an hour) + 300 s JWKS max-age + 60 s skew
      expect(loadConfig({ GATEHOUSE_KEY_OVERLAP_S: '3990' }).keys.overlapS).toBe(3990);
      expect(issuesOf({ GATEHOUSE_KEY_OVERLAP_S: '3989' })).toEqual(['GATEHOUSE_KEY_OVERLAP_S']);
    });

    it('counts the clock skew in the overlap rule', () => {
      expect(issuesOf({ GATEHOUSE_KEY_OVERLAP_S: '3990', GATEHOUSE_CLOCK_SKEW_S: '61' })).toEqual([
        'GATEHOUSE_KEY_OVERLAP_S',
      ]);
      expect(loadConfig({ GATEHOUSE_KEY_OVERLAP_S: '3930', GATEHOUSE_CLOCK_SKEW_S: '0' }).keys.overlapS).toBe(3930);
    });

    it('refuses an overlap shorter than the admin token TTL rule with a message naming the variable', () => {
      expect(() => loadConfig({ GATEHOUSE_KEY_OVERLAP_S: '600', GATEHOUSE_ACCESS_TOKEN_TTL_S: '600' })).toThrow(
        /GATEHOUSE_KEY_OVERLAP_S: must be at least 3990 s/,
      );
    });

    it('refuses a publish-ahead shorter than the JWKS cache lifetime + skew + reload interval', () => {
      expect(issuesOf({ GATEHOUSE_KEY_PUBLISH_AHEAD_S: '300' })).toEqual(['GATEHOUSE_KEY_PUBLISH_AHEAD_S']);
      expect(loadConfig({ GATEHOUSE_KEY_PUBLISH_AHEAD_S: '3600' }).keys.publishAheadS).toBe(3600);
      // with no skew, the default follows: 30 + 300
      expect(loadConfig({ GATEHOUSE_CLOCK_SKEW_S: '0' }).keys.publishAheadS).toBe(330);
    });

    it.each([
      ['GATEHOUSE_KEY_ROTATION_DAYS', { GATEHOUSE_KEY_ROTATION_DAYS: '0' }],
      ['GATEHOUSE_KEY_ROTATION_DAYS', { GATEHOUSE_KEY_ROTATION_DAYS: 'monthly' }],
      ['GATEHOUSE_KEY_ROTATION_DAYS', { GATEHOUSE_KEY_ROTATION_DAYS: '1', GATEHOUSE_KEY_PUBLISH_AHEAD_S: '86400' }],
      ['GATEHOUSE_KEY_OVERLAP_S', { GATEHOUSE_KEY_OVERLAP_S: '-1' }],
      ['GATEHOUSE_CLOCK_SKEW_S', { GATEHOUSE_CLOCK_SKEW_S: '3600' }],
    ])('a bad %s stops start-up', (name, env) => {
      expect(issuesOf(env)).toContain(name);
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', REDIS_URL: '' }).port).toBe(3000);
  });
});
