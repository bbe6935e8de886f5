import { SUPPORTED_LOCALES } from '@gatehouse/core';
import { CATALOGUES, translate, type MessageKey } from '@gatehouse/signin';
import { pageText, type PageText } from '../page-text';
import { SAMPLE_DATA, samplePages } from './page-samples';

/** The text a person sees or hears: text nodes and the attributes read aloud. */
function visibleText(page: string): string[] {
  const body = page.replace(/<!--[\s\S]*?-->/g, '');
  const decode = (s: string) =>
    s
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  const nodes = [...body.matchAll(/>([^<]*)</g)].map((m) => m[1]);
  const attrs = [...body.matchAll(/\s(?:alt|aria-label|title|placeholder)="([^"]*)"/g)].map((m) => m[1]);
  return [...nodes, ...attrs].map((s) => decode(s).replace(/\s+/g, ' ').trim()).filter(Boolean);
}

/** A locale that marks every catalogue string, so text that bypasses the catalogue shows. */
const marked: PageText = { locale: 'en', t: (key, params) => `⟦${translate('en', key, params)}⟧` };

describe('every hosted page takes its words from the catalogue (docs/sign-in-experience.md#languages)', () => {
  const data = new Set(Object.values(SAMPLE_DATA));

  it.each(Object.entries(samplePages(marked)))('%s has no string of its own', (_name, page) => {
    const unmarked = (text: string): string => {
      const once = text.replace(/⟦[^⟦⟧]*⟧/g, '');
      return once === text ? text : unmarked(once);
    };
    const stray = visibleText(page).filter((text) =>
      unmarked(text)
        .split(/[\s·,]+/)
        .some((word) => word && !data.has(word)),
    );
    expect(stray).toEqual([]);
  });

  const english = CATALOGUES.en;
  const keys = Object.keys(english).filter((k) => k.startsWith('page.')) as MessageKey[];

  it.each(SUPPORTED_LOCALES.filter((l) => l !== 'en'))('in %s, no page shows an English string', (locale) => {
    // The English fragments between placeholders that the locale does not share.
    const fragments = keys.flatMap((k) =>
      english[k]
        .split(/\{[a-z_]+\}/)
        .map((f) => f.trim())
        .filter((f) => f.length >= 6 && !CATALOGUES[locale][k].includes(f)),
    );
    expect(fragments.length).toBeGreaterThan(50);
    for (const [name, page] of Object.entries(samplePages(pageText(locale)))) {
      expect(page).toContain(`<html lang="${locale}">`);
      const english = visibleText(page).flatMap((text) =>
        fragments.filter((f) => text.includes(f)).map((f) => ({ name, f })),
      );
      expect(english).toEqual([]);
    }
  });

  it('sets <html lang> to the English locale by default', () => {
    for (const page of Object.values(samplePages(pageText('en')))) expect(page).toContain('<html lang="en">');
  });
});
