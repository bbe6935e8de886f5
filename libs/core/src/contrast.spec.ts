import fc from 'fast-check';
import { contrastRatio, passesAA, relativeLuminance } from './contrast';

describe('WCAG contrast', () => {
  it('matches the reference values of WCAG 2.2', () => {
    expect(relativeLuminance('#ffffff')).toBeCloseTo(1, 5);
    expect(relativeLuminance('#000000')).toBe(0);
    expect(contrastRatio('#ffffff', '#000000')).toBeCloseTo(21, 5);
    // #767676 on white is the well-known lightest grey that passes AA (4.54:1), #777777 fails (4.48:1).
    expect(contrastRatio('#767676', '#ffffff')).toBeCloseTo(4.54, 2);
    expect(contrastRatio('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });

  it('accepts colours white text reads on and refuses the others', () => {
    expect(passesAA('#1a56db')).toBe(true);
    expect(passesAA('#767676')).toBe(true);
    expect(passesAA('#777777')).toBe(false);
    expect(passesAA('#ffd60a')).toBe(false);
    expect(passesAA('#ff0000')).toBe(false); // 4.0:1
    expect(passesAA('red')).toBe(false);
    expect(passesAA('#12345')).toBe(false);
  });

  it('agrees with the ratio for every colour, and is symmetric', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffff }), fc.integer({ min: 0, max: 0xffffff }), (n, m) => {
        const c = `#${n.toString(16).padStart(6, '0')}`;
        const d = `#${m.toString(16).padStart(6, '0')}`;
        expect(passesAA(c)).toBe(contrastRatio(c, '#ffffff') >= 4.5);
        expect(contrastRatio(c, d)).toBeCloseTo(contrastRatio(d, c), 10);
        expect(contrastRatio(c, d)).toBeGreaterThanOrEqual(1);
      }),
    );
  });
});
