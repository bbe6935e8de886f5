import { mayInspect } from './token-inspection';

describe('token inspection rules', () => {
  it('lets platform admins see every token and org admins only their orgs’ app and user tokens', () => {
    const org = { role: 'org' as const, orgIds: ['org_1'] };
    expect(mayInspect({ role: 'platform', orgIds: [] }, { tier: 'admin' })).toBe(true);
    expect(mayInspect(org, { tier: 'app', org_id: 'org_1' })).toBe(true);
    expect(mayInspect(org, { tier: 'user', org_id: 'org_2' })).toBe(false);
    expect(mayInspect(org, { tier: 'admin' })).toBe(false);
  });
});
