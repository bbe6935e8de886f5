import fc from 'fast-check';
import { InvalidScope } from '@gatehouse/core';
import {
  capLifetime,
  resolveResource,
  scopesForResource,
  selectResourceScopes,
  type RegisteredResource,
  type ResourceCeiling,
  type ResourceRequest,
} from './resolve-resource';

const DEFAULT = 'https://id.example.com';
const mcp: RegisteredResource = {
  identifier: 'https://mcp.example.com/mcp',
  scopes: ['notes:read', 'notes:write'],
  tokenTtlS: 300,
};
const api: RegisteredResource = { identifier: 'https://api.example.com', scopes: ['invoices:read'], tokenTtlS: null };
const unbound: ResourceCeiling = { kind: 'unbound' };

const request = (over: Partial<ResourceRequest>): ResourceRequest => ({
  requested: [],
  registered: [mcp, api],
  clientAudiences: [mcp.identifier, api.identifier],
  ceiling: unbound,
  defaultAudience: DEFAULT,
  ...over,
});

describe('resolveResource (RFC 8707; docs/resources.md#rfc-8707)', () => {
  it('no resource and an unbound grant: the default audience, no resource', () => {
    expect(resolveResource(request({}))).toEqual({ ok: true, audience: DEFAULT, resource: null });
  });

  it('a resource the client holds becomes the one audience; repeating it is still one', () => {
    expect(resolveResource(request({ requested: [mcp.identifier] }))).toEqual({
      ok: true,
      audience: mcp.identifier,
      resource: mcp,
    });
    expect(resolveResource(request({ requested: [mcp.identifier, mcp.identifier] }))).toMatchObject({
      ok: true,
      audience: mcp.identifier,
    });
  });

  it('two distinct resources: invalid_target, a token names exactly one audience', () => {
    expect(resolveResource(request({ requested: [mcp.identifier, api.identifier] }))).toMatchObject({
      ok: false,
      error: 'invalid_target',
      rule: 'one_audience',
    });
  });

  it('unknown, foreign and not-held resources get the same answer', () => {
    const answers = [
      resolveResource(request({ requested: ['https://unknown.example.com'] })),
      // registered in the org but not one of this client's audiences
      resolveResource(request({ requested: [api.identifier], clientAudiences: [mcp.identifier] })),
      // one of the client's audiences whose resource is not registered (any more)
      resolveResource(request({ requested: [api.identifier], registered: [mcp] })),
      // compared exactly: another spelling of the same URL is another identifier
      resolveResource(request({ requested: ['https://mcp.example.com/mcp/'] })),
      resolveResource(request({ requested: ['https://MCP.example.com/mcp'] })),
    ];
    for (const a of answers) {
      expect(a).toEqual({
        ok: false,
        error: 'invalid_target',
        rule: 'not_allowed',
        description: 'This client may not request tokens for that resource.',
      });
    }
  });

  it('a bound grant only narrows: its own resource yes, another no, none named inherits it', () => {
    const bound: ResourceCeiling = { kind: 'bound', identifiers: [mcp.identifier], clientMustHold: true };
    expect(resolveResource(request({ ceiling: bound, requested: [mcp.identifier] }))).toMatchObject({
      ok: true,
      resource: mcp,
    });
    expect(resolveResource(request({ ceiling: bound, requested: [api.identifier] }))).toMatchObject({
      ok: false,
      rule: 'widens',
    });
    expect(resolveResource(request({ ceiling: bound }))).toMatchObject({
      ok: true,
      audience: mcp.identifier,
      resource: mcp,
    });
  });

  it('a grant bound to several resources must be told which one', () => {
    const both: ResourceCeiling = {
      kind: 'bound',
      identifiers: [mcp.identifier, api.identifier],
      clientMustHold: true,
    };
    expect(resolveResource(request({ ceiling: both }))).toMatchObject({ ok: false, rule: 'choose_resource' });
    expect(resolveResource(request({ ceiling: both, requested: [api.identifier] }))).toMatchObject({
      ok: true,
      resource: api,
    });
  });

  it('inheriting: a refresh needs the client to still hold the resource, an exchange does not', () => {
    const refresh: ResourceCeiling = { kind: 'bound', identifiers: [mcp.identifier], clientMustHold: true };
    const exchange: ResourceCeiling = { kind: 'bound', identifiers: [mcp.identifier], clientMustHold: false };
    expect(resolveResource(request({ ceiling: refresh, clientAudiences: [] }))).toMatchObject({
      ok: false,
      rule: 'not_allowed',
    });
    expect(resolveResource(request({ ceiling: exchange, clientAudiences: [] }))).toMatchObject({
      ok: true,
      resource: mcp,
    });
    // …but the resource must still be registered
    expect(resolveResource(request({ ceiling: exchange, registered: [api] }))).toMatchObject({
      ok: false,
      rule: 'not_allowed',
    });
  });

  it('property: an issued audience is the default (unbound, nothing asked) or a registered resource inside the ceiling', () => {
    const ids = ['https://a.example', 'https://b.example', 'https://c.example', 'https://d.example'];
    const subset = fc.subarray(ids);
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...ids, 'https://other.example'), { maxLength: 3 }),
        subset,
        subset,
        fc.option(fc.record({ ids: subset, hold: fc.boolean() }), { nil: undefined }),
        (requested, registeredIds, clientAudiences, bound) => {
          const registered = registeredIds.map((identifier) => ({ identifier, scopes: [], tokenTtlS: null }));
          const ceiling: ResourceCeiling = bound
            ? { kind: 'bound', identifiers: bound.ids, clientMustHold: bound.hold }
            : { kind: 'unbound' };
          const r = resolveResource({ requested, registered, clientAudiences, ceiling, defaultAudience: DEFAULT });
          if (!r.ok) return;
          if (r.audience === DEFAULT) {
            expect(ceiling.kind).toBe('unbound');
            expect(requested).toHaveLength(0);
            return;
          }
          expect(registeredIds).toContain(r.audience);
          expect(new Set(requested).size).toBeLessThanOrEqual(1);
          if (requested.length) expect(clientAudiences).toContain(r.audience);
          if (ceiling.kind === 'bound') {
            expect(ceiling.identifiers).toContain(r.audience);
            if (ceiling.clientMustHold) expect(clientAudiences).toContain(r.audience);
          }
        },
      ),
      { seed: 8707, numRuns: 2000 },
    );
  });
});

describe('the scope rule of a resource (docs/resources.md#scopes)', () => {
  const held = ['notes:read', 'notes:write', 'invoices:read', 'gatehouse:revocations'];

  it('a token for a resource carries the held scopes it declares; for the default audience, all held', () => {
    expect(scopesForResource(held, mcp)).toEqual(['notes:read', 'notes:write']);
    expect(scopesForResource(held, api)).toEqual(['invoices:read']);
    expect(scopesForResource(held, null)).toEqual(held);
    expect(scopesForResource(['other'], mcp)).toEqual([]);
  });

  it('down-selection: a subset as asked; a held scope the resource does not declare is named as such', () => {
    expect(selectResourceScopes(undefined, held, mcp)).toEqual(['notes:read', 'notes:write']);
    expect(selectResourceScopes('notes:read', held, mcp)).toEqual(['notes:read']);
    expect(() => selectResourceScopes('notes:read invoices:read', held, mcp)).toThrow(
      new InvalidScope('Not a scope of the resource https://mcp.example.com/mcp: invoices:read'),
    );
    expect(() => selectResourceScopes('notes:admin', held, mcp)).toThrow(
      new InvalidScope('Not granted to this client: notes:admin'),
    );
  });

  it('property: the selected scopes are held, declared, and asked (when asked)', () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    fc.assert(
      fc.property(
        fc.subarray(names),
        fc.subarray(names),
        fc.option(fc.subarray(names), { nil: undefined }),
        (h, declared, asked) => {
          const resource = { identifier: 'https://r.example', scopes: declared, tokenTtlS: null };
          let out: string[];
          try {
            out = selectResourceScopes(asked?.join(' '), h, resource);
          } catch (err) {
            expect(err).toBeInstanceOf(InvalidScope);
            expect(asked!.some((s) => !h.includes(s) || !declared.includes(s))).toBe(true);
            return;
          }
          for (const s of out) {
            expect(h).toContain(s);
            expect(declared).toContain(s);
            if (asked && asked.length) expect(asked).toContain(s);
          }
        },
      ),
      { seed: 6749, numRuns: 1000 },
    );
  });
});

describe('capLifetime (docs/resources.md#lifetimes)', () => {
  it('the resource caps the lifetime; no resource or no cap leaves it', () => {
    expect(capLifetime(600, mcp)).toBe(300);
    expect(capLifetime(120, mcp)).toBe(120);
    expect(capLifetime(600, api)).toBe(600);
    expect(capLifetime(600, null)).toBe(600);
  });
});
