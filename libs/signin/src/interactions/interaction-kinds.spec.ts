import { INTERACTION_KINDS, isHandleOf } from './interaction-kinds';

describe('interaction kinds', () => {
  it('keep the handle prefixes and hash purposes the API and the moved rows depend on', () => {
    expect(INTERACTION_KINDS.admin_mfa).toEqual({ handlePrefix: 'ghc', hashPurpose: 'mfa-challenge' });
    expect(INTERACTION_KINDS.user_policy).toEqual({ handlePrefix: 'gha', hashPurpose: 'policy-challenge' });
  });

  it('give every kind a prefix and a hash purpose of its own', () => {
    const kinds = Object.values(INTERACTION_KINDS);
    expect(new Set(kinds.map((k) => k.handlePrefix)).size).toBe(kinds.length);
    expect(new Set(kinds.map((k) => k.hashPurpose)).size).toBe(kinds.length);
  });

  it('recognise a handle by its prefix only', () => {
    expect(isHandleOf('admin_mfa', 'ghc_abc')).toBe(true);
    expect(isHandleOf('admin_mfa', 'gha_abc')).toBe(false);
    expect(isHandleOf('user_policy', 'gha_abc')).toBe(true);
    expect(isHandleOf('user_policy', 'gha')).toBe(false);
    expect(isHandleOf('admin_mfa', 42)).toBe(false);
    expect(isHandleOf('admin_mfa', undefined)).toBe(false);
  });
});
