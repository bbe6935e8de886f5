import { en, type Messages } from './en';

/**
 * The message catalogue (docs/sign-in.md#messages): one object per locale, chosen from the
 * request's `ui_locales` (OIDC Core §3.1.2.1) and then `Accept-Language`, falling back to
 * English. A new locale is one file of the shape of `en.ts` added here.
 */
const LOCALES: Record<string, Messages> = { en };

export function messagesFor(preferred: readonly string[]): Messages {
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    const exact = LOCALES[lower] ?? LOCALES[lower.split('-')[0]];
    if (exact) return exact;
  }
  return en;
}

/** `Accept-Language` (RFC 9110 §12.5.4) as a list of tags, most preferred first. */
export function acceptLanguage(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^q=([\d.]+)$/.exec(p.trim())?.[1]).find(Boolean);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q) };
    })
    .filter((l) => /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(l.tag) && l.q > 0)
    .sort((a, b) => b.q - a.q)
    .slice(0, 10)
    .map((l) => l.tag);
}
