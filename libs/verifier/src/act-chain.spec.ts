import fc from 'fast-check';
import { actorChain, MAX_ACT_CHAIN } from './act-chain';
import type { ActClaim } from './claims';

const nest = (ids: string[]): ActClaim | undefined =>
  ids.reduceRight<ActClaim | undefined>((inner, sub) => (inner ? { sub, act: inner } : { sub }), undefined);

describe('actorChain', () => {
  it('lists the actors, the current one first and the original one last', () => {
    expect(actorChain({ sub: 'app_B', act: { sub: 'app_A', act: { sub: 'usr_U' } } })).toEqual([
      'app_B',
      'app_A',
      'usr_U',
    ]);
  });

  it('is empty without an act claim', () => {
    expect(actorChain(undefined)).toEqual([]);
  });

  it(`takes at most ${MAX_ACT_CHAIN} actors of a deeper chain`, () => {
    const ids = Array.from({ length: MAX_ACT_CHAIN + 5 }, (_, i) => `app_${i}`);
    expect(actorChain(nest(ids))).toEqual(ids.slice(0, MAX_ACT_CHAIN));
  });

  it('stops at a link that is not an object with a string sub', () => {
    expect(actorChain({ sub: 'app_B', act: { sub: 7 } } as never)).toEqual(['app_B']);
    expect(actorChain({ sub: 'app_B', act: 'app_A' } as never)).toEqual(['app_B']);
    expect(actorChain({ sub: 'app_B', act: null } as never)).toEqual(['app_B']);
    expect(actorChain({ act: { sub: 'app_A' } } as never)).toEqual([]);
  });

  it('is the nested ids in order, cut at the cap, for any chain', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: MAX_ACT_CHAIN * 2 }), (ids) => {
        expect(actorChain(nest(ids))).toEqual(ids.slice(0, MAX_ACT_CHAIN));
      }),
    );
  });
});
