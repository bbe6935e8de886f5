import { Injectable } from '@nestjs/common';
import { newId, Problems, type Principal } from '@gatehouse/core';
import { isUniqueViolation, PrismaService } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { PasswordHasher, passwordWeakness } from '@gatehouse/credentials';
import { OrgAccess } from '@gatehouse/directory';
import { SignInInteractionRepository } from '../interactions/sign-in-interaction.repository';
import { LinkMailer, type LocaleHints } from '../mail/link-mail';
import { FlowLimits, REDEEM_PER_ADDRESS } from './flow-limits';
import { linkInvalid } from './link-refused';
import type { NewAccount } from './signup';

/** An invitation lives a week (docs/sign-in-experience.md#invitations). */
export const INVITATION_TTL_S = 7 * 24 * 3600;

/**
 * Invitations (docs/sign-in-experience.md#invitations): an org admin invites an address; the
 * mailed link (an `invitation` interaction, single-use, a week) lets the invitee set a
 * password, which creates the user with the address verified. Works whatever the org's
 * sign-up setting: the admin vouches for the address.
 */
@Injectable()
export class InvitationFlow {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: OrgAccess,
    private readonly audit: AuditService,
    private readonly passwords: PasswordHasher,
    private readonly interactions: SignInInteractionRepository,
    private readonly mailer: LinkMailer,
    private readonly limits: FlowLimits,
  ) {}

  async invite(
    actor: Principal,
    meta: RequestMeta,
    orgId: string,
    input: { email: string },
    hints: LocaleHints,
  ): Promise<{ email: string; expires_at: string }> {
    await this.access.resolve(actor, orgId);
    if (await this.prisma.user.findUnique({ where: { orgId_email: { orgId, email: input.email } } })) {
      throw Problems.conflict('A user with this email already exists in the organization.');
    }
    const locale = await this.mailer.locale(orgId, hints);
    const { handle, interaction } = await this.prisma.transaction(async (tx) => {
      const created = await this.interactions.create(
        {
          kind: 'invitation',
          orgId,
          params: { email: input.email, locale, invited_by: actor.id },
          ttlS: INVITATION_TTL_S,
        },
        tx,
      );
      await this.audit.record(tx, meta, {
        action: 'user.invited',
        outcome: 'success',
        actor,
        orgId,
        details: { email_domain: input.email.slice(input.email.lastIndexOf('@') + 1), locale },
      });
      return created;
    });
    await this.mailer.queue({
      template: 'invitation',
      to: input.email,
      orgId,
      token: handle,
      locale,
      params: { days: INVITATION_TTL_S / 86400 },
    });
    return { email: input.email, expires_at: interaction.expiresAt.toISOString() };
  }

  async accept(meta: RequestMeta, orgId: string, input: { token: string; password: string }): Promise<NewAccount> {
    await this.limits.address(meta, 'redeem', REDEEM_PER_ADDRESS, orgId);
    const found = await this.interactions.findLive('invitation', input.token);
    const mine = found.status !== 'unknown' && found.interaction.orgId === orgId ? found.interaction : null;
    const refuse = async (reason: string) => {
      await this.audit.recordAlone(meta, {
        action: 'user.invitation.accepted',
        outcome: 'failure',
        orgId: mine ? orgId : null,
        reason,
      });
      return linkInvalid();
    };
    if (!mine || found.status !== 'live') throw await refuse('unknown, spent or expired link');
    const email = String(mine.params.email);
    const weakness = passwordWeakness(input.password, email);
    if (weakness) throw Problems.validation([{ path: 'password', message: weakness }]);
    const passwordHash = await this.passwords.hash(input.password);
    const id = newId('user');
    try {
      const ok = await this.prisma.transaction(async (tx) => {
        if (!(await this.interactions.consume(mine.id, tx))) return false;
        await tx.user.create({ data: { id, orgId, email, passwordHash, emailVerified: true } });
        await this.audit.record(tx, meta, {
          action: 'user.invitation.accepted',
          outcome: 'success',
          actor: { id, tier: 'user' },
          orgId,
          target: { type: 'user', id },
          details: { invited_by: String(mine.params.invited_by ?? '') },
        });
        return true;
      });
      if (!ok) throw await refuse('unknown, spent or expired link');
    } catch (err) {
      if (isUniqueViolation(err)) throw await refuse('account exists');
      throw err;
    }
    return { id, org_id: orgId, email, email_verified: true };
  }
}
