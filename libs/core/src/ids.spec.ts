import { isId, newId } from './ids';

describe('ids', () => {
  it('are prefixed ULIDs, sortable by creation', () => {
    const a = newId('org');
    const b = newId('org');
    expect(a).toMatch(/^org_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(a < b).toBe(true);
  });

  it('isId checks the prefix and the ULID body', () => {
    expect(isId('app', newId('app'))).toBe(true);
    expect(isId('app', newId('user'))).toBe(false);
    expect(isId('app', 'app_123')).toBe(false);
    expect(isId('app', undefined)).toBe(false);
  });
});
