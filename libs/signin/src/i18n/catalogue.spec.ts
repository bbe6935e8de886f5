import fc from 'fast-check';
import { SUPPORTED_LOCALES } from '@gatehouse/core';
import { CATALOGUES, negotiateLocale, translate } from './catalogue';
import { en } from './en';

describe('message catalogues', () => {
  it('every locale has exactly the keys of the English catalogue, each non-empty, with the same placeholders', () => {
    const placeholders = (s: string) => [...s.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]).sort();
    for (const locale of SUPPORTED_LOCALES) {
      const c = CATALOGUES[locale];
      expect(Object.keys(c).sort()).toEqual(Object.keys(en).sort());
      for (const [key, value] of Object.entries(c)) {
        expect(value.trim()).not.toBe('');
        expect(placeholders(value)).toEqual(placeholders(en[key as keyof typeof en]));
      }
    }
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(translate('de', 'page.signup.title', { org: 'Acme' })).toBe('Ihr Konto bei Acme erstellen');
    expect(translate('en', 'page.signup.title')).toBe('Create your {org} account');
  });
});

describe('negotiateLocale', () => {
  it('prefers ui_locales, then Accept-Language by weight, then the org default, then English', () => {
    expect(negotiateLocale({ uiLocales: 'fr de-CH en', acceptLanguage: 'en', orgDefault: 'en' })).toBe('de');
    expect(negotiateLocale({ uiLocales: 'fr', acceptLanguage: 'fr;q=1, en;q=0.5, de;q=0.8' })).toBe('de');
    expect(negotiateLocale({ acceptLanguage: 'de;q=0, en;q=0.1' })).toBe('en');
    expect(negotiateLocale({ acceptLanguage: 'de;q=0', orgDefault: 'de' })).toBe('de');
    expect(negotiateLocale({ acceptLanguage: 'fr-FR,fr;q=0.9', orgDefault: 'de' })).toBe('de');
    expect(negotiateLocale({ orgDefault: 'xx' })).toBe('en');
    expect(negotiateLocale({})).toBe('en');
  });

  it('always answers a supported locale, whatever the headers hold', () => {
    fc.assert(
      fc.property(fc.option(fc.string()), fc.option(fc.string()), fc.option(fc.string()), (u, a, d) => {
        expect(SUPPORTED_LOCALES).toContain(negotiateLocale({ uiLocales: u, acceptLanguage: a, orgDefault: d }));
      }),
    );
  });
});
