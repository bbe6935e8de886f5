import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { GATEHOUSE_CONFIG, type GatehouseConfig } from '@gatehouse/core';
import nodemailer, { type Transporter } from 'nodemailer';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Outbound mail (docs/sign-in-experience.md#mail): over SMTP through nodemailer when
 * GATEHOUSE_SMTP_URL is set; otherwise each message is written to GATEHOUSE_MAIL_DIR
 * (`.gatehouse/mail/` on embedded defaults) as an `.eml` file, mode 0600, and its path
 * logged, so a development setup needs no mail server.
 *
 * `queue` sends after the response is on its way: a request that mails (a reset for an
 * existing account) takes as long as one that does not, so timing tells nothing about the
 * account. A failure is logged (recipient domain and error only, never the message, which
 * holds a one-time link) and not retried: the user asks again.
 */
@Injectable()
export class MailService implements OnModuleDestroy {
  private readonly log = new Logger('Mail');
  private readonly smtp: Transporter | null;
  private readonly files: Transporter;
  private readonly pending = new Set<Promise<void>>();

  constructor(@Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig) {
    this.smtp = config.mail.smtpUrl ? nodemailer.createTransport(config.mail.smtpUrl) : null;
    this.files = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  }

  /** Sends now; resolves when the SMTP server accepted the message or the file is written. */
  async send(mail: OutgoingMail): Promise<void> {
    const message = { from: this.config.mail.from, ...mail };
    if (this.smtp) {
      await this.smtp.sendMail(message);
      this.log.log({ msg: 'mail sent', to_domain: domainOf(mail.to) });
      return;
    }
    const info = (await this.files.sendMail(message)) as { message: Buffer };
    await mkdir(this.config.mail.dir, { recursive: true, mode: 0o700 });
    const path = join(this.config.mail.dir, `${Date.now()}-${randomBytes(6).toString('hex')}.eml`);
    await writeFile(path, info.message, { mode: 0o600 });
    this.log.log({ msg: 'mail written (no GATEHOUSE_SMTP_URL)', path });
  }

  /** Sends in the background (see above); errors are logged, never thrown. */
  queue(mail: OutgoingMail): void {
    const p = this.send(mail)
      .catch((err: Error) => this.log.error({ msg: 'mail not sent', to_domain: domainOf(mail.to), error: err.message }))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Lets queued messages finish before the process stops. */
  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    this.smtp?.close();
  }
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}
