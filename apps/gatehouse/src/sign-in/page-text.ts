import type { Locale } from '@gatehouse/core';
import { translate, type MessageKey, type MessageParams } from '@gatehouse/signin';

/**
 * The strings of one page in one locale (docs/sign-in-experience.md#languages): every word a
 * hosted page shows goes through `t`, so a page has no English of its own.
 */
export interface PageText {
  locale: Locale;
  t(key: MessageKey, params?: MessageParams): string;
}

export function pageText(locale: Locale): PageText {
  return { locale, t: (key, params) => translate(locale, key, params) };
}
