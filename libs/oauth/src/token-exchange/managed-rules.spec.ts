import { decideManaged, MANAGED_SUBJECT_INVALID } from './managed-rules';

const token = { orgId: 'org_1', hosts: ['app_host'], scope: ['a', 'b', 'c'] };
const api = { identifier: 'https://api', scopes: ['a', 'b', 'x'], tokenTtlS: null };
const host = { id: 'app_host', orgId: 'org_1', scopes: ['a', 'b', 'x'], audiences: ['https://api'], resources: [api] };
const DEFAULT = 'https://gatehouse.test';

describe('decideManaged', () => {
  it('gives the ceiling ∩ the host scopes when no scope is asked', () => {
    expect(decideManaged(token, host, { scope: undefined, audiences: [] }, DEFAULT)).toEqual({
      ok: true,
      scopes: ['a', 'b'],
      audience: undefined,
      resource: null,
    });
  });

  it('narrows to the asked scope and one allowed audience', () => {
    expect(decideManaged(token, host, { scope: 'b', audiences: ['https://api'] }, DEFAULT)).toEqual({
      ok: true,
      scopes: ['b'],
      audience: 'https://api',
      resource: api,
    });
  });

  it('refuses a caller that is not a host, or of another org', () => {
    expect(
      decideManaged(token, { ...host, id: 'app_other' }, { scope: undefined, audiences: [] }, DEFAULT),
    ).toMatchObject({
      ok: false,
      rule: 'not_a_host',
      description: MANAGED_SUBJECT_INVALID,
    });
    expect(
      decideManaged(token, { ...host, orgId: 'org_2' }, { scope: undefined, audiences: [] }, DEFAULT),
    ).toMatchObject({
      ok: false,
      rule: 'not_a_host',
      description: MANAGED_SUBJECT_INVALID,
    });
  });

  it('refuses a scope beyond the ceiling or the host, never drops it', () => {
    expect(decideManaged(token, host, { scope: 'a c', audiences: [] }, DEFAULT)).toMatchObject({
      ok: false,
      error: 'invalid_scope',
    });
    expect(decideManaged(token, host, { scope: 'x', audiences: [] }, DEFAULT)).toMatchObject({
      ok: false,
      error: 'invalid_scope',
    });
  });

  it('refuses an audience the host does not have, or two of them', () => {
    expect(decideManaged(token, host, { scope: undefined, audiences: ['https://else'] }, DEFAULT)).toMatchObject({
      ok: false,
      error: 'invalid_target',
    });
    expect(
      decideManaged(
        token,
        { ...host, audiences: ['https://api', 'https://b'] },
        { scope: undefined, audiences: ['https://api', 'https://b'] },
        DEFAULT,
      ),
    ).toMatchObject({ ok: false, rule: 'one_audience' });
  });

  it('for a resource, only the scopes it declares: a held one it does not declare is named as such', () => {
    const narrow = { ...host, resources: [{ identifier: 'https://api', scopes: ['b'], tokenTtlS: 60 }] };
    expect(decideManaged(token, narrow, { scope: undefined, audiences: ['https://api'] }, DEFAULT)).toMatchObject({
      ok: true,
      scopes: ['b'],
    });
    expect(decideManaged(token, narrow, { scope: 'a', audiences: ['https://api'] }, DEFAULT)).toMatchObject({
      ok: false,
      rule: 'scope_not_declared',
    });
  });
});
