import { clusterSeed } from './redis-client';

describe('clusterSeed', () => {
  it('reads host:port and redis URLs with their credentials and TLS', () => {
    expect(clusterSeed('redis-a:7000')).toEqual({ node: { host: 'redis-a', port: 7000 }, auth: {} });
    expect(clusterSeed('redis://u:p%40ss@10.0.0.2:7001')).toEqual({
      node: { host: '10.0.0.2', port: 7001 },
      auth: { username: 'u', password: 'p@ss' },
    });
    expect(clusterSeed('rediss://:secret@redis-c:6380')).toEqual({
      node: { host: 'redis-c', port: 6380 },
      auth: { password: 'secret', tls: {} },
    });
  });
});
