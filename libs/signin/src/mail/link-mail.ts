import { Inject, Injectable } from '@nestjs/common';
import { GATEHOUSE_CONFIG, type GatehouseConfig, type Locale } from '@gatehouse/core';
import { BrandingService, SignInSettingsService } from '@gatehouse/directory';
import { negotiateLocale } from '../i18n/catalogue';
import type { MessageParams } from '../i18n/catalogue';
import { MailService } from './mail.service';
import { renderMail, type MailTemplate } from './mail-templates';

/**
 * Where each emailed link leads: a page of the hosted sign-in pages, which reads `token`
 * and calls the API route named in docs/sign-in-experience.md#links. The pages answer these
 * paths; this table is the one place that names them.
 */
export const LINK_PATHS: Record<MailTemplate, string> = {
  reset: 'reset-password',
  signup: 'verify-email',
  signup_existing: 'forgot-password',
  invitation: 'invitation',
};

/** What a mail's language is chosen from (docs/sign-in-experience.md#languages). */
export interface LocaleHints {
  uiLocales?: string | null;
  acceptLanguage?: string | null;
}

/** Renders a link email in the negotiated locale, with the org's (and app's) branding, and queues it. */
@Injectable()
export class LinkMailer {
  constructor(
    private readonly mail: MailService,
    private readonly brandings: BrandingService,
    private readonly settings: SignInSettingsService,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  async locale(orgId: string, hints: LocaleHints): Promise<Locale> {
    const { default_locale } = await this.settings.effective(orgId);
    return negotiateLocale({ ...hints, orgDefault: default_locale });
  }

  link(template: MailTemplate, orgId: string, token: string | null, clientId?: string | null): string {
    const url = new URL(`/sign-in/${orgId}/${LINK_PATHS[template]}`, this.config.issuer);
    if (token) url.searchParams.set('token', token);
    if (clientId) url.searchParams.set('client_id', clientId);
    return url.toString();
  }

  async queue(input: {
    template: MailTemplate;
    to: string;
    orgId: string;
    clientId?: string | null;
    token: string | null;
    locale: Locale;
    params?: MessageParams;
  }): Promise<void> {
    const branding = await this.brandings.effective(input.orgId, input.clientId);
    if (!branding) return;
    const rendered = renderMail(input.template, input.locale, branding, {
      ...input.params,
      email: input.to,
      link: this.link(input.template, input.orgId, input.token, input.clientId),
    });
    this.mail.queue({ to: input.to, ...rendered });
  }
}
