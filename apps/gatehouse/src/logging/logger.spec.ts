import { Writable } from 'node:stream';
import { createRootLogger, NestPinoLogger } from './logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, log: createRootLogger('info', stream) };
}

describe('root logger redaction (docs/reliability.md#logs)', () => {
  it('keeps error codes such as ECONNREFUSED readable', () => {
    const { lines, log } = capture();
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    log.error({ err, cause: { code: '57P01' } }, 'failed');
    expect(lines[0]).toMatchObject({ err: { code: 'ECONNREFUSED' }, cause: { code: '57P01' } });
  });

  it('still hides secrets, and a TOTP code in a logged body', () => {
    const { lines, log } = capture();
    log.info({ body: { code: '123456', password: 'pw' }, req: { body: { code: '654321' } }, client_secret: 's' }, 'x');
    const text = JSON.stringify(lines[0]);
    for (const secret of ['123456', '654321', '"pw"', '"s"']) expect(text).not.toContain(secret);
  });

  it('hides a policy_token wherever it is logged (docs/control.md#policy)', () => {
    const { lines, log } = capture();
    log.info({ body: { policy_token: 'gha_body' }, res: { policy_token: 'gha_res' }, policy_token: 'gha_top' }, 'x');
    const text = JSON.stringify(lines[0]);
    for (const secret of ['gha_body', 'gha_res', 'gha_top']) expect(text).not.toContain(secret);
  });
});

describe('log format and start-up noise (docs/reliability.md#logs)', () => {
  function raw(level = 'info', format: 'json' | 'pretty' = 'json') {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        chunks.push(String(chunk));
        cb();
      },
    });
    return { text: () => chunks.join(''), log: createRootLogger(level, stream, format) };
  }

  it('pretty: a line for people, with the context and the extra fields, no JSON object per line', () => {
    const { text, log } = raw('info', 'pretty');
    log.info({ context: 'Runtime', kid: 'key_1' }, 'created the first signing key');
    expect(text()).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[Runtime\] created the first signing key \{"kid":"key_1"\}\n$/,
    );
  });

  it('pretty output still redacts secrets', () => {
    const { text, log } = raw('info', 'pretty');
    log.info({ client_secret: 'hunter2hunter2' }, 'x');
    expect(text()).not.toContain('hunter2');
  });

  it("puts Nest's module and route lines and Fastify's per-worker listening line at debug", () => {
    const info = raw('info');
    const nest = new NestPinoLogger(info.log);
    nest.log('Mapped {/v1/me, GET} route', 'RouterExplorer');
    nest.log('AppModule dependencies initialized', 'InstanceLoader');
    nest.log('Nest application successfully started', 'NestApplication');
    info.log.info('Server listening at http://127.0.0.1:3000');
    nest.log('created the first signing key', 'SigningKeys');
    const lines = info.text().split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, context: 'SigningKeys' });

    const debug = raw('debug');
    new NestPinoLogger(debug.log).log('Mapped {/v1/me, GET} route', 'RouterExplorer');
    debug.log.info('Server listening at http://127.0.0.1:3000');
    const levels = debug
      .text()
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { level: number }).level);
    expect(levels).toEqual([20, 20]);
  });
});
