import { Writable } from 'node:stream';
import { createRootLogger } from './logger';

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
