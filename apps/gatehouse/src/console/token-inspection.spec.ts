import { actChain, mayInspect } from './token-inspection';

describe('token inspection rules', () => {
  it('flattens a nested act claim, current actor first', () => {
    expect(actChain({ sub: 'app_B', act: { sub: 'app_A', act: { sub: 'usr_U' } } })).toEqual([
      'app_B',
      'app_A',
      'usr_U',
    ]);
    expect(actChain(undefined)).toEqual([]);
  });

  it('stops at a depth bound so a hostile claim cannot loop', () => {
    const deep = Array.from({ length: 100 }).reduce<{ sub: string; act?: unknown }>(
      (acc, _, i) => ({ sub: `a${i}`, act: acc }),
      { sub: 'root' },
    );
    expect(actChain(deep as never, 5)).toHaveLength(5);
  });

  it('lets platform admins see every token and org admins only their orgs’ app and user tokens', () => {
    const org = { role: 'org' as const, orgIds: ['org_1'] };
    expect(mayInspect({ role: 'platform', orgIds: [] }, { tier: 'admin' })).toBe(true);
    expect(mayInspect(org, { tier: 'app', org_id: 'org_1' })).toBe(true);
    expect(mayInspect(org, { tier: 'user', org_id: 'org_2' })).toBe(false);
    expect(mayInspect(org, { tier: 'admin' })).toBe(false);
  });
});
