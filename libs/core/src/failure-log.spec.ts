import { errorCode, FailureLog } from './failure-log';

describe('FailureLog (docs/reliability.md#logs)', () => {
  it('writes one line per kind and error code per interval, counting the rest', () => {
    let t = 0;
    const lines: Record<string, unknown>[] = [];
    const log = new FailureLog(
      (line) => lines.push(line),
      10_000,
      () => t,
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    for (let i = 0; i < 500; i++) log.report('database_unavailable', refused, 'down');
    log.report('database_unavailable', new Error('Query read timeout'), 'down');
    expect(lines).toEqual([
      { event: 'database_unavailable', error_code: 'ECONNREFUSED', suppressed: 0 },
      { event: 'database_unavailable', error_code: 'Query read timeout', suppressed: 0 },
    ]);
    t = 10_000;
    log.report('database_unavailable', refused, 'down');
    expect(lines[2]).toEqual({ event: 'database_unavailable', error_code: 'ECONNREFUSED', suppressed: 499 });
  });

  it('finds the code on a cause', () => {
    expect(errorCode({ message: 'wrapped', cause: { originalCode: '22021' } })).toBe('22021');
  });
});
