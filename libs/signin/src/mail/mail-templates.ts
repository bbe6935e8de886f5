import type { Locale } from '@gatehouse/core';
import { translator, type MessageKey, type MessageParams } from '../i18n/catalogue';

/** The messages Gatehouse sends (docs/sign-in-experience.md#mail). */
export type MailTemplate = 'reset' | 'signup' | 'signup_existing' | 'invitation';

export interface MailBranding {
  display_name: string;
  primary_color: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const PARTS: Record<MailTemplate, { intro: MessageKey; action: MessageKey; expiry?: MessageKey; ignore?: MessageKey }> =
  {
    reset: {
      intro: 'mail.reset.intro',
      action: 'mail.reset.action',
      expiry: 'mail.reset.expiry',
      ignore: 'mail.reset.ignore',
    },
    signup: {
      intro: 'mail.signup.intro',
      action: 'mail.signup.action',
      expiry: 'mail.signup.expiry',
      ignore: 'mail.signup.ignore',
    },
    signup_existing: {
      intro: 'mail.signup_existing.intro',
      action: 'mail.signup_existing.action',
      ignore: 'mail.signup_existing.ignore',
    },
    invitation: { intro: 'mail.invitation.intro', action: 'mail.invitation.action', expiry: 'mail.invitation.expiry' },
  };

const SUBJECTS: Record<MailTemplate, MessageKey> = {
  reset: 'mail.reset.subject',
  signup: 'mail.signup.subject',
  signup_existing: 'mail.signup_existing.subject',
  invitation: 'mail.invitation.subject',
};

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * One message in one locale, as text and as HTML. Every parameter (the org's name, the
 * address, the link) is escaped in the HTML part; the link is the only URL in it.
 */
export function renderMail(
  template: MailTemplate,
  locale: Locale,
  branding: MailBranding,
  params: MessageParams & { email: string; link: string },
): RenderedMail {
  const t = translator(locale);
  const p = { ...params, org: branding.display_name };
  const parts = PARTS[template];
  const lines = [
    t(parts.intro, p),
    parts.expiry ? t(parts.expiry, p) : null,
    parts.ignore ? t(parts.ignore, p) : null,
  ].filter((l): l is string => l !== null);
  const subject = t(SUBJECTS[template], p);
  const text = [
    lines[0],
    '',
    `${t(parts.action, p)}: ${params.link}`,
    '',
    ...lines.slice(1),
    '',
    t('mail.footer', p),
  ].join('\n');
  const e = (s: string) => escapeHtml(s);
  const color = /^#[0-9a-f]{6}$/i.test(branding.primary_color) ? branding.primary_color : '#1a56db';
  const html = `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><title>${e(subject)}</title></head>
<body style="font-family:system-ui,sans-serif;line-height:1.5;color:#111">
<h1 style="font-size:20px">${e(branding.display_name)}</h1>
<p>${e(lines[0]!)}</p>
<p><a href="${e(params.link)}" style="display:inline-block;padding:10px 16px;background:${color};color:#fff;text-decoration:none;border-radius:6px">${e(t(parts.action, p))}</a></p>
${lines
  .slice(1)
  .map((l) => `<p>${e(l)}</p>`)
  .join('\n')}
<p style="color:#555;font-size:12px">${e(t('mail.footer', p))}</p>
</body></html>
`;
  return { subject, text, html };
}
