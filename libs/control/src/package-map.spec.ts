import fc from 'fast-check';
import { decide, type DecisionInput } from './decide';
import { goodStanding, type OrgState } from './org-state';
import { fromDoc, mappedPackages, parseRoute, routeOf, toDoc } from './package-map';

const NOW = Date.UTC(2026, 11, 1, 12);
const APP = 'app_01';

function org(map: Parameters<typeof fromDoc>[0], entitled: string[] = []): OrgState {
  return {
    ...goodStanding('org_01', 'acme'),
    apps: new Map([[APP, { packages: [], scopes: ['a', 'b'] }]]),
    packageMap: fromDoc(map),
    entitlements: new Map(entitled.map((p) => [p, { status: 'active' as const, expiresAt: null }])),
  };
}
const app = (extra: Partial<DecisionInput> = {}): DecisionInput => ({
  tier: 'app',
  subjectId: APP,
  clientId: APP,
  member: true,
  ...extra,
});

describe('the package map (docs/control.md#package-map)', () => {
  it('parses routes: an optional method, a path, an optional trailing *', () => {
    expect(parseRoute('GET /reports*', 'r')).toEqual({
      route: 'GET /reports*',
      method: 'GET',
      path: '/reports',
      prefix: true,
      package: 'r',
    });
    expect(parseRoute('/v1/me', 'r')).toMatchObject({ method: null, path: '/v1/me', prefix: false });
    for (const bad of ['FETCH /x', 'GET reports', '/a*b', '/a b', 'get /x', '', '/x?y'])
      expect(parseRoute(bad, 'r')).toBeNull();
  });

  it('reads a bearer request by its path and its template, a decision by its action as the method', () => {
    expect(routeOf({ name: 'GET /v1/orgs/:orgId' }, { type: 'route', id: '/v1/orgs/org_1' })).toEqual({
      method: 'GET',
      paths: ['/v1/orgs/org_1', '/v1/orgs/:orgId'],
    });
    expect(routeOf({ name: 'delete' }, { type: 'route', id: '/x' })).toEqual({ method: 'DELETE', paths: ['/x'] });
    expect(routeOf({ name: 'read' }, { type: 'route', id: '/x' })).toEqual({ method: null, paths: ['/x'] });
    expect(routeOf({ name: 'GET /x' }, { type: 'document', id: '/x' })).toBeNull();
  });

  it('a mapped scope or route needs its package; without the map nothing changes', () => {
    const map = { scopes: { b: 'reports' }, routes: [{ route: 'POST /jobs*', package: 'agents' }] };
    expect(decide(org(map), app({ scopes: ['a'] }), NOW).outcome).toBe('allow');
    expect(decide(org(map), app({ scopes: ['a', 'b'] }), NOW)).toMatchObject({
      outcome: 'deny',
      reason: 'entitlement_not_granted',
      inputs: { package: 'reports', required_by: { scope: 'b' } },
    });
    expect(decide(org(map, ['reports']), app({ scopes: ['a', 'b'] }), NOW).outcome).toBe('allow');
    const job = { action: { name: 'POST /jobs/:id', write: true }, resource: { type: 'route', id: '/jobs/7' } };
    expect(decide(org(map), app(job), NOW)).toMatchObject({
      inputs: { package: 'agents', required_by: { route: 'POST /jobs*' } },
    });
    expect(decide(org(map), app({ ...job, action: { name: 'GET /jobs/:id', write: false } }), NOW).outcome).toBe(
      'allow',
    );
    expect(decide(org({}), app({ scopes: ['a', 'b'], ...job }), NOW).outcome).toBe('allow');
  });

  it('property: a request needs exactly the packages its scopes and route map to', () => {
    const scopeNames = ['a', 'b', 'c', 'd'];
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...scopeNames), fc.constantFrom('p1', 'p2', 'p3')),
        fc.subarray(scopeNames),
        fc.subarray(['p1', 'p2', 'p3']),
        (scopes, carried, entitled) => {
          const state = org({ scopes }, entitled);
          const needed = new Set(carried.flatMap((s) => (scopes[s] ? [scopes[s]] : [])));
          const allowed = [...needed].every((p) => entitled.includes(p));
          expect(decide(state, app({ scopes: carried }), NOW).outcome).toBe(allowed ? 'allow' : 'deny');
          expect(new Set(mappedPackages(state.packageMap, carried, null).map((m) => m.package))).toEqual(needed);
        },
      ),
    );
  });

  it('round-trips through its stored form', () => {
    const doc = { scopes: { b: 'reports' }, routes: [{ route: 'GET /x*', package: 'p' }] };
    expect(toDoc(fromDoc(doc))).toEqual(doc);
    expect(toDoc(fromDoc(null))).toEqual({ scopes: {}, routes: [] });
  });
});
