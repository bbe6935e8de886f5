import { isSupportedLocale, SUPPORTED_LOCALES, type Locale } from '@gatehouse/core';
import { de } from './de';
import { en, type Catalogue, type MessageKey } from './en';

export type { Catalogue, MessageKey };

/** Every locale's catalogue; adding a locale is a file here and a name in SUPPORTED_LOCALES. */
export const CATALOGUES: Record<Locale, Catalogue> = { en, de };

export type MessageParams = Record<string, string | number>;

/** The message `key` in `locale`, with `{name}` placeholders filled from `params` (as text). */
export function translate(locale: Locale, key: MessageKey, params: MessageParams = {}): string {
  const template = CATALOGUES[locale][key] ?? en[key];
  return template.replace(/\{([a-z_]+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** A translator bound to one locale. */
export function translator(locale: Locale) {
  return (key: MessageKey, params?: MessageParams) => translate(locale, key, params);
}

/**
 * The locale of a page or an email (docs/sign-in-experience.md#languages): the first
 * supported tag of `ui_locales` (OpenID Connect Core §3.1.2.1, space-separated, in order of
 * preference), then the best `Accept-Language` entry by weight (RFC 9110 §12.5.4), then
 * the org's default. A tag matches on its primary language (`de-AT` is `de`).
 */
export function negotiateLocale(input: {
  uiLocales?: string | null;
  acceptLanguage?: string | null;
  orgDefault?: string | null;
}): Locale {
  for (const tag of (input.uiLocales ?? '').split(/\s+/)) {
    const l = primary(tag);
    if (l) return l;
  }
  const ranked = (input.acceptLanguage ?? '')
    .split(',')
    .slice(0, 50)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const weight = q ? Number(q.slice(2)) : 1;
      return { tag: tag.trim(), weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((e) => e.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const { tag } of ranked) {
    const l = primary(tag);
    if (l) return l;
  }
  return isSupportedLocale(input.orgDefault) ? input.orgDefault : SUPPORTED_LOCALES[0];
}

function primary(tag: string): Locale | null {
  const lang = tag.toLowerCase().split(/[-_]/)[0];
  return isSupportedLocale(lang) ? lang : null;
}
