import { decideManaged } from './managed-rules';

const token = { orgId: 'org_1', hosts: ['app_host'], scope: ['a', 'b', 'c'] };
const host = { id: 'app_host', orgId: 'org_1', scopes: ['a', 'b', 'x'], audiences: ['https://api'] };

describe('decideManaged', () => {
  it('gives the ceiling ∩ the host scopes when no scope is asked', () => {
    expect(decideManaged(token, host, { scope: undefined, audiences: [] })).toEqual({
      ok: true,
      scopes: ['a', 'b'],
      audience: undefined,
    });
  });

  it('narrows to the asked scope and one allowed audience', () => {
    expect(decideManaged(token, host, { scope: 'b', audiences: ['https://api'] })).toEqual({
      ok: true,
      scopes: ['b'],
      audience: 'https://api',
    });
  });

  it('refuses a caller that is not a host, or of another org', () => {
    expect(decideManaged(token, { ...host, id: 'app_other' }, { scope: undefined, audiences: [] })).toMatchObject({
      ok: false,
      rule: 'not_a_host',
    });
    expect(decideManaged(token, { ...host, orgId: 'org_2' }, { scope: undefined, audiences: [] })).toMatchObject({
      ok: false,
      rule: 'not_a_host',
    });
  });

  it('refuses a scope beyond the ceiling or the host, never drops it', () => {
    expect(decideManaged(token, host, { scope: 'a c', audiences: [] })).toMatchObject({
      ok: false,
      error: 'invalid_scope',
    });
    expect(decideManaged(token, host, { scope: 'x', audiences: [] })).toMatchObject({
      ok: false,
      error: 'invalid_scope',
    });
  });

  it('refuses an audience the host does not have, or two of them', () => {
    expect(decideManaged(token, host, { scope: undefined, audiences: ['https://else'] })).toMatchObject({
      ok: false,
      error: 'invalid_target',
    });
    expect(
      decideManaged(
        token,
        { ...host, audiences: ['https://api', 'https://b'] },
        { scope: undefined, audiences: ['https://api', 'https://b'] },
      ),
    ).toMatchObject({ ok: false, rule: 'one_audience' });
  });
});
