import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CachedDocuments, type CachePolicy } from './cached-documents';
import { GuardedFetchError, GuardedFetcher, type GuardedFetchRefusal } from './guarded-fetch';
import { classifyAddress } from './special-use-addresses';

/** A loopback server whose answer each test chooses; counts the requests it saw. */
class Origin {
  server!: Server;
  port = 0;
  hits = 0;
  handler: (res: ServerResponse, path: string) => void = (res) => res.end('{}');

  async start() {
    this.server = createServer((req, res) => {
      this.hits++;
      this.handler(res, req.url ?? '/');
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }
  url(path = '/doc.json', host = '127.0.0.1') {
    return `http://${host}:${this.port}${path}`;
  }
  stop() {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(r));
  }
}

async function refusal(p: Promise<unknown>): Promise<GuardedFetchRefusal> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GuardedFetchError);
  return (err as GuardedFetchError).code;
}

describe('GuardedFetcher: every refusal', () => {
  const origin = new Origin();
  const loopbackAllowed = new GuardedFetcher({ allowLoopback: true });
  beforeAll(() => origin.start());
  afterAll(() => origin.stop());
  beforeEach(() => {
    origin.hits = 0;
    origin.handler = (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });

  it('fetches from loopback over http when loopback is allowed, and names the address it connected to', async () => {
    const res = await loopbackAllowed.fetch(origin.url());
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('{"ok":true}');
    expect(res.address).toBe('127.0.0.1');
  });

  it('invalid_url: relative, userinfo, fragment', async () => {
    expect(await refusal(loopbackAllowed.fetch('/jwks.json'))).toBe('invalid_url');
    expect(await refusal(loopbackAllowed.fetch(`http://u:p@127.0.0.1:${origin.port}/x`))).toBe('invalid_url');
    expect(await refusal(loopbackAllowed.fetch(`${origin.url()}#frag`))).toBe('invalid_url');
  });

  it('scheme_not_allowed: http without the loopback switch, http to a public address, other schemes', async () => {
    const strict = new GuardedFetcher({ allowLoopback: false });
    expect(await refusal(strict.fetch(origin.url()))).toBe('scheme_not_allowed');
    expect(await refusal(loopbackAllowed.fetch('http://93.184.215.14/jwks.json'))).toBe('scheme_not_allowed');
    expect(await refusal(loopbackAllowed.fetch('ftp://127.0.0.1/jwks.json'))).toBe('scheme_not_allowed');
    expect(await refusal(loopbackAllowed.fetch('file:///etc/passwd'))).toBe('scheme_not_allowed');
  });

  it('address_refused: private, link-local and mapped literals, and loopback without the switch, before any connection', async () => {
    const strict = new GuardedFetcher({ allowLoopback: false });
    for (const host of ['10.0.0.1', '192.168.1.10', '169.254.169.254', '[::ffff:10.0.0.1]', '[fd00::1]', '[::1]']) {
      expect(await refusal(strict.fetch(`https://${host}/jwks.json`))).toBe('address_refused');
    }
    expect(await refusal(strict.fetch(`https://127.0.0.1:${origin.port}/x`))).toBe('address_refused');
    expect(origin.hits).toBe(0);
  });

  it('address_refused: a name that resolves to a private address, or to a mix of public and private', async () => {
    const resolvesTo = (...addresses: string[]) =>
      new GuardedFetcher({
        allowLoopback: false,
        resolve: () =>
          Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))),
      });
    expect(await refusal(resolvesTo('10.1.2.3').fetch('https://client.example/jwks'))).toBe('address_refused');
    expect(await refusal(resolvesTo('93.184.215.14', '172.16.0.5').fetch('https://client.example/jwks'))).toBe(
      'address_refused',
    );
    expect(await refusal(resolvesTo('fe80::1').fetch('https://client.example/jwks'))).toBe('address_refused');
  });

  it('pins the connection to the checked address: a name that re-resolves elsewhere (DNS rebinding) is not asked again', async () => {
    const answers = ['127.0.0.1', '10.0.0.1'];
    let calls = 0;
    const rebinding = new GuardedFetcher({
      allowLoopback: true,
      resolve: () => Promise.resolve([{ address: answers[Math.min(calls++, 1)]!, family: 4 }]),
    });
    const res = await rebinding.fetch(origin.url('/doc.json', 'rebind.example'));
    expect(calls).toBe(1);
    expect(res.address).toBe('127.0.0.1');
    expect(origin.hits).toBe(1);
  });

  it('dns_failed: a name that does not resolve', async () => {
    const none = new GuardedFetcher({ allowLoopback: false, resolve: () => Promise.reject(new Error('ENOTFOUND')) });
    expect(await refusal(none.fetch('https://nowhere.invalid/jwks'))).toBe('dns_failed');
  });

  it('redirect_refused: a 3xx is not followed', async () => {
    origin.handler = (res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
    expect(await refusal(loopbackAllowed.fetch(origin.url()))).toBe('redirect_refused');
    expect(origin.hits).toBe(1);
  });

  it('too_large: by Content-Length, and by the bytes of a chunked body', async () => {
    origin.handler = (res) => res.writeHead(200, { 'content-length': '6000' }).end('x'.repeat(6000));
    expect(await refusal(loopbackAllowed.fetch(origin.url()))).toBe('too_large');
    origin.handler = (res) => {
      res.writeHead(200);
      res.write('x'.repeat(3000));
      res.end('x'.repeat(3000));
    };
    expect(await refusal(loopbackAllowed.fetch(origin.url()))).toBe('too_large');
    // The cap is the call's: the same body fits a 64 KB one.
    await expect(loopbackAllowed.fetch(origin.url(), { maxBytes: 64 * 1024 })).resolves.toMatchObject({ status: 200 });
  });

  it('timeout: headers that never come, and a body that stalls', async () => {
    origin.handler = () => undefined;
    expect(await refusal(loopbackAllowed.fetch(origin.url(), { timeoutMs: 200 }))).toBe('timeout');
    origin.handler = (res) => res.writeHead(200).write('{');
    expect(await refusal(loopbackAllowed.fetch(origin.url(), { timeoutMs: 200 }))).toBe('timeout');
  });

  it('http_status: anything but 200', async () => {
    origin.handler = (res) => res.writeHead(404).end();
    expect(await refusal(loopbackAllowed.fetch(origin.url()))).toBe('http_status');
  });

  it('network_error: nothing listening', async () => {
    const closed = new Origin();
    await closed.start();
    const url = closed.url();
    await closed.stop();
    expect(await refusal(loopbackAllowed.fetch(url))).toBe('network_error');
  });
});

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['127.0.0.2', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'refused'],
    ['100.64.0.1', 'refused'],
    ['198.18.0.1', 'refused'],
    ['224.0.0.1', 'refused'],
    ['255.255.255.255', 'refused'],
    ['2606:4700::1111', 'public'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::a00:1', 'refused'],
    ['2001:db8::1', 'refused'],
    ['ff02::1', 'refused'],
    ['not-an-ip', 'refused'],
  ])('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });
});

describe('CachedDocuments', () => {
  const origin = new Origin();
  const fetcher = new GuardedFetcher({ allowLoopback: true });
  let clock = 1_000_000;
  const policy: CachePolicy = {
    minMaxAgeS: 60,
    maxMaxAgeS: 3600,
    defaultMaxAgeS: 300,
    refreshCooldownS: 30,
    errorCooldownS: 5,
    maxEntries: 10,
  };
  const parse = (res: { body: Buffer }) => JSON.parse(res.body.toString('utf8')) as { v: number };
  let version = 1;
  let cacheControl = 'max-age=100000';
  beforeAll(() => origin.start());
  afterAll(() => origin.stop());
  beforeEach(() => {
    origin.hits = 0;
    version = 1;
    origin.handler = (res) =>
      res.writeHead(200, { 'cache-control': cacheControl, etag: `"v${version}"` }).end(JSON.stringify({ v: version }));
  });

  it('honours max-age within its bounds, and refreshes at most once per cooldown', async () => {
    const docs = new CachedDocuments(fetcher, {}, parse, policy, () => clock);
    expect(await docs.get(origin.url())).toEqual({ v: 1 });
    version = 2;
    clock += 3599_000;
    expect(await docs.get(origin.url())).toEqual({ v: 1 }); // max-age 100000 clamped to 3600
    clock += 2_000;
    expect(await docs.get(origin.url())).toEqual({ v: 2 });
    version = 3;
    expect(await docs.refresh(origin.url())).toEqual({ v: 2 }); // within the refresh cooldown
    clock += 31_000;
    expect(await docs.refresh(origin.url())).toEqual({ v: 3 });
    expect(origin.hits).toBe(3);
  });

  it('treats no-store as the minimum freshness', async () => {
    cacheControl = 'no-store';
    const docs = new CachedDocuments(fetcher, {}, parse, policy, () => clock);
    await docs.get(origin.url('/a'));
    clock += 59_000;
    await docs.get(origin.url('/a'));
    clock += 2_000;
    await docs.get(origin.url('/a'));
    expect(origin.hits).toBe(2);
    cacheControl = 'max-age=100000';
  });

  it('never caches a failure as a document, and leaves a failing URL alone for the error cooldown', async () => {
    const docs = new CachedDocuments(fetcher, {}, parse, policy, () => clock);
    await docs.get(origin.url('/b'));
    clock += 3601_000;
    origin.handler = (res) => res.writeHead(200).end('not json');
    await expect(docs.get(origin.url('/b'))).rejects.toThrow(SyntaxError);
    origin.handler = (res) => res.writeHead(200, { 'cache-control': 'max-age=600' }).end('{"v":9}');
    await expect(docs.get(origin.url('/b'))).rejects.toThrow(SyntaxError); // inside the error cooldown
    expect(origin.hits).toBe(2);
    clock += 5_001;
    expect(await docs.get(origin.url('/b'))).toEqual({ v: 9 });
  });
});
