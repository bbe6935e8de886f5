import { Injectable } from '@nestjs/common';
import { Problems } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { PasswordHasher, passwordWeakness } from '@gatehouse/credentials';
import { SessionTerminator } from '@gatehouse/directory';
import { SignInInteractionRepository } from '../interactions/sign-in-interaction.repository';
import { LinkMailer, type LocaleHints } from '../mail/link-mail';
import { FlowLimits, LINK_PER_ADDRESS, REDEEM_PER_ADDRESS } from './flow-limits';
import { linkInvalid } from './link-refused';

/** A reset link lives 15 minutes (docs/sign-in-experience.md#password-reset). */
export const RESET_TTL_S = 15 * 60;

/**
 * Password reset by email (docs/sign-in-experience.md#password-reset). `request` answers the
 * same whether or not the account exists, and mails (in the background) only when it does;
 * the link is a `password_reset` interaction bound to the user and the org, single-use and
 * short-lived, and a newer link kills the older ones. `complete` sets the password, marks
 * the address verified (the link proved it), and ends every session and refresh family of
 * the user, in one transaction with the link's consumption and the audit row.
 */
@Injectable()
export class PasswordResetFlow {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly passwords: PasswordHasher,
    private readonly sessions: SessionTerminator,
    private readonly interactions: SignInInteractionRepository,
    private readonly mailer: LinkMailer,
    private readonly limits: FlowLimits,
  ) {}

  async request(
    meta: RequestMeta,
    orgId: string,
    input: { email: string; client_id?: string },
    hints: LocaleHints,
  ): Promise<void> {
    await this.limits.address(meta, 'reset', LINK_PER_ADDRESS, orgId);
    await this.limits.account(meta, 'reset', orgId, input.email);
    const org = await this.prisma.organization.findUnique({ where: { id: orgId }, select: { id: true } });
    if (!org) return;
    const app = input.client_id
      ? await this.prisma.application.findFirst({ where: { id: input.client_id, orgId, disabled: false } })
      : null;
    const user = await this.prisma.user.findUnique({ where: { orgId_email: { orgId, email: input.email } } });
    if (!user || user.disabled) {
      await this.audit.recordAlone(meta, {
        action: 'user.password_reset.requested',
        outcome: 'failure',
        actor: null,
        orgId,
        target: user ? { type: 'user', id: user.id } : null,
        reason: user ? 'user disabled' : 'unknown account',
      });
      return;
    }
    const locale = await this.mailer.locale(orgId, hints);
    const handle = await this.prisma.transaction(async (tx) => {
      await this.interactions.consumeAllFor('password_reset', user.id, tx);
      const created = await this.interactions.create(
        {
          kind: 'password_reset',
          subjectId: user.id,
          orgId,
          clientId: app?.id ?? null,
          params: { locale },
          ttlS: RESET_TTL_S,
        },
        tx,
      );
      await this.audit.record(tx, meta, {
        action: 'user.password_reset.requested',
        outcome: 'success',
        actor: null,
        orgId,
        target: { type: 'user', id: user.id },
        details: { locale, ...(app ? { client_id: app.id } : {}) },
      });
      return created.handle;
    });
    await this.mailer.queue({
      template: 'reset',
      to: user.email,
      orgId,
      clientId: app?.id ?? null,
      token: handle,
      locale,
      params: { minutes: RESET_TTL_S / 60 },
    });
  }

  async complete(meta: RequestMeta, orgId: string, input: { token: string; password: string }): Promise<void> {
    await this.limits.address(meta, 'redeem', REDEEM_PER_ADDRESS, orgId);
    const found = await this.interactions.findLive('password_reset', input.token);
    const mine = found.status !== 'unknown' && found.interaction.orgId === orgId ? found.interaction : null;
    const user = mine?.subjectId ? await this.prisma.user.findFirst({ where: { id: mine.subjectId, orgId } }) : null;
    const refuse = async (reason: string) => {
      await this.audit.recordAlone(meta, {
        action: 'user.password_reset.completed',
        outcome: 'failure',
        actor: null,
        orgId: mine ? orgId : null,
        target: user ? { type: 'user', id: user.id } : null,
        reason,
      });
      return linkInvalid();
    };
    if (!mine || found.status !== 'live') throw await refuse('unknown, spent or expired link');
    if (!user || user.disabled) throw await refuse('user gone or disabled');
    // A weak password does not spend the link: the user picks another on the same page.
    const weakness = passwordWeakness(input.password, user.email);
    if (weakness) throw Problems.validation([{ path: 'password', message: weakness }]);
    const passwordHash = await this.passwords.hash(input.password);
    const done = await this.prisma.transaction(async (tx) => {
      if (!(await this.interactions.consume(mine.id, tx))) return false;
      await tx.user.update({ where: { id: user.id }, data: { passwordHash, emailVerified: true } });
      // Sign-ins half-way (a pending second factor) die with the old password.
      await this.interactions.consumeAllFor('user_mfa', user.id, tx);
      const ended = await this.sessions.end(tx, meta, user.id, orgId, { subjectId: user.id }, 'password_reset', {
        userId: user.id,
      });
      await this.audit.record(tx, meta, {
        action: 'user.password_reset.completed',
        outcome: 'success',
        actor: { id: user.id, tier: 'user' },
        orgId,
        target: { type: 'user', id: user.id },
        details: { refresh_families_ended: ended.familiesEnded },
      });
      return true;
    });
    if (!done) throw await refuse('unknown, spent or expired link');
  }
}
