import { loadConfig } from '@gatehouse/core';
import { buildBanner } from './banner';

describe('start-up banner (docs/reliability.md#logs)', () => {
  it('names the URLs, the runtime and the workers, and how to create the first administrator', () => {
    const config = loadConfig({ PORT: '3000' }, { cwd: '/srv/gh' });
    const b = buildBanner(config, { workers: 2, adminExists: false, cwd: '/srv/gh' });
    expect(b.urls).toEqual({
      api: 'http://127.0.0.1:3000',
      console: 'http://127.0.0.1:3000/console',
      docs: 'http://127.0.0.1:3000/docs',
      discovery: 'http://127.0.0.1:3000/.well-known/openid-configuration',
    });
    const rows = b.text.split('\n');
    expect(rows[0]).toBe(`Gatehouse is listening at http://127.0.0.1:3000 (Node ${process.version}, 2 workers)`);
    for (const url of Object.values(b.urls)) expect(b.text).toContain(url);
    // The default data dir: the command needs no environment.
    expect(b.first_admin_command).toBe(
      "npm run gatehouse -- admin create --email you@example.com --password '<12+ characters>' --platform",
    );
    expect(rows.at(-1)).toContain(b.first_admin_command);
    expect(rows.length).toBeLessThanOrEqual(5);
  });

  it('says nothing about a first administrator once one exists', () => {
    const b = buildBanner(loadConfig({}, { cwd: '/srv/gh' }), { workers: 1, adminExists: true, cwd: '/srv/gh' });
    expect(b.first_admin_command).toBeUndefined();
    expect(b.text).not.toMatch(/administrator/);
    expect(b.text).toContain('1 worker)');
  });

  it('gives the command the data dir it needs when it is not the default, quoted for a shell', () => {
    const config = loadConfig({ GATEHOUSE_DATA_DIR: "/tmp/my data's" }, { cwd: '/srv/gh' });
    const b = buildBanner(config, { workers: 1, adminExists: false, cwd: '/srv/gh' });
    expect(b.first_admin_command).toMatch(
      /^GATEHOUSE_DATA_DIR='\/tmp\/my data'\\''s' npm run gatehouse -- admin create /,
    );
  });

  it('uses the public issuer URL, not the bind address', () => {
    const config = loadConfig({ HOST: '0.0.0.0', GATEHOUSE_ISSUER: 'https://id.example.com/' });
    const b = buildBanner(config, { workers: 4, adminExists: true });
    expect(b.urls.console).toBe('https://id.example.com/console');
  });
});
