import { goodStanding, type OrgState } from './org-state';
import { simulate } from './simulate';

const NOW = Date.UTC(2026, 11, 1);

const org = (): OrgState => ({
  ...goodStanding('org_1', 'acme'),
  apps: new Map([
    ['app_a', { packages: ['agents'] }],
    ['app_b', { packages: [] }],
  ]),
  entitlements: new Map([['agents', { status: 'active' as const, expiresAt: null }]]),
});
const users = [{ id: 'usr_1', email: 'ann@acme.test', clientIds: ['app_a'] }];

describe('simulate (docs/control.md#simulate)', () => {
  it('names what a change would stop, and only what runs today', () => {
    const r = simulate(org(), { entitlements: { agents: { status: 'removed' } } }, users, NOW);
    expect(r.would_stop.apps).toEqual([{ client_id: 'app_a', outcome: 'deny', code: 'entitlement_not_granted' }]);
    expect(r.would_stop.users).toEqual([
      {
        user_id: 'usr_1',
        email: 'ann@acme.test',
        client_id: 'app_a',
        outcome: 'deny',
        code: 'entitlement_not_granted',
      },
    ]);
    expect(r.applied).toBe(false);
  });

  it('a read-only suspension stops write routes only', () => {
    const r = simulate(
      org(),
      {
        contract: { status: 'suspended', contract_read_only: true },
        routes: [
          { method: 'GET', path: '/v1/things' },
          { method: 'POST', path: '/v1/things' },
        ],
      },
      [],
      NOW,
    );
    expect(r.would_stop.apps).toEqual([]);
    expect(r.would_stop.routes.map((x) => `${x.client_id} ${x.method}`)).toEqual(['app_a POST', 'app_b POST']);
  });

  it('a change that stops nothing says so', () => {
    expect(simulate(org(), { billing: { status: 'trialing' } }, users, NOW).would_stop).toEqual({
      apps: [],
      users: [],
      routes: [],
    });
  });
});
