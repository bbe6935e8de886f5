import { Injectable } from '@nestjs/common';
import { newId, ProblemError, Problems, signupAllows } from '@gatehouse/core';
import { isUniqueViolation, PrismaService, type Tx } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { PasswordHasher, passwordWeakness } from '@gatehouse/credentials';
import { PolicyService } from '@gatehouse/control';
import { SignInSettingsService } from '@gatehouse/directory';
import { SignInInteractionRepository } from '../interactions/sign-in-interaction.repository';
import { LinkMailer, type LocaleHints } from '../mail/link-mail';
import { FlowLimits, LINK_PER_ADDRESS, REDEEM_PER_ADDRESS, SIGNUP_PER_ORG } from './flow-limits';
import { linkInvalid } from './link-refused';

/** A verification link lives a day (docs/sign-in-experience.md#self-sign-up). */
export const SIGNUP_TTL_S = 24 * 3600;

const notAllowed = () =>
  new ProblemError(403, 'signup_not_allowed', 'Sign-up not allowed', {
    detail: 'This organization does not accept sign-ups for this address.',
  });

/** A new account as the API answers it. */
export interface NewAccount {
  id: string;
  org_id: string;
  email: string;
  email_verified: true;
}

/**
 * Self sign-up (docs/sign-in-experience.md#self-sign-up): off unless the org opens it (to
 * anyone, or to listed e-mail domains). The account does not exist until its address is
 * verified: the request parks the password's hash (and the policy version accepted on the
 * way) with a `signup_verification` interaction and mails its link; the link creates the
 * user, verified. An address that already has an account gets a "you already have an
 * account" mail instead, and the requester the same 202 either way.
 */
@Injectable()
export class SignupFlow {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly passwords: PasswordHasher,
    private readonly settings: SignInSettingsService,
    private readonly policy: PolicyService,
    private readonly interactions: SignInInteractionRepository,
    private readonly mailer: LinkMailer,
    private readonly limits: FlowLimits,
  ) {}

  async request(
    meta: RequestMeta,
    orgId: string,
    input: { email: string; password: string; client_id?: string; policy_version?: string },
    hints: LocaleHints,
  ): Promise<void> {
    await this.limits.address(meta, 'signup', LINK_PER_ADDRESS, orgId);
    const org = await this.prisma.organization.findUnique({ where: { id: orgId }, select: { id: true } });
    if (!org) throw Problems.notFound('organization');
    if (!signupAllows(await this.settings.effective(orgId), input.email)) throw notAllowed();
    await this.limits.check(meta, `signup:org:${orgId}`, SIGNUP_PER_ORG, orgId);
    await this.limits.account(meta, 'signup', orgId, input.email);
    const weakness = passwordWeakness(input.password, input.email);
    if (weakness) throw Problems.validation([{ path: 'password', message: weakness }]);
    const required = (await this.prisma.orgControl.findUnique({ where: { orgId }, select: { policyVersion: true } }))
      ?.policyVersion;
    if (required && input.policy_version !== required) {
      throw Problems.validation([
        { path: 'policy_version', message: `the organization requires accepting policy version "${required}"` },
      ]);
    }
    const app = input.client_id
      ? await this.prisma.application.findFirst({ where: { id: input.client_id, orgId, disabled: false } })
      : null;
    // Hashed whether or not the account exists, so both answers take as long.
    const passwordHash = await this.passwords.hash(input.password);
    const locale = await this.mailer.locale(orgId, hints);
    const existing = await this.prisma.user.findUnique({ where: { orgId_email: { orgId, email: input.email } } });
    const domain = input.email.slice(input.email.lastIndexOf('@') + 1);
    if (existing) {
      await this.audit.recordAlone(meta, {
        action: 'user.signup.requested',
        outcome: 'failure',
        orgId,
        target: { type: 'user', id: existing.id },
        reason: 'account exists',
        details: { email_domain: domain },
      });
      await this.mailer.queue({
        template: 'signup_existing',
        to: existing.email,
        orgId,
        clientId: app?.id,
        token: null,
        locale,
      });
      return;
    }
    const handle = await this.prisma.transaction(async (tx) => {
      const created = await this.interactions.create(
        {
          kind: 'signup_verification',
          orgId,
          clientId: app?.id ?? null,
          params: {
            email: input.email,
            password_hash: passwordHash,
            locale,
            ...(required ? { policy_version: required } : {}),
          },
          ttlS: SIGNUP_TTL_S,
        },
        tx,
      );
      await this.audit.record(tx, meta, {
        action: 'user.signup.requested',
        outcome: 'success',
        orgId,
        details: { email_domain: domain, locale, ...(app ? { client_id: app.id } : {}) },
      });
      return created.handle;
    });
    await this.mailer.queue({
      template: 'signup',
      to: input.email,
      orgId,
      clientId: app?.id,
      token: handle,
      locale,
      params: { hours: SIGNUP_TTL_S / 3600 },
    });
  }

  /** The link: creates the user, verified (and records the policy accepted on the way). */
  async verify(meta: RequestMeta, orgId: string, token: string): Promise<NewAccount> {
    await this.limits.address(meta, 'redeem', REDEEM_PER_ADDRESS, orgId);
    const found = await this.interactions.findLive('signup_verification', token);
    const mine = found.status !== 'unknown' && found.interaction.orgId === orgId ? found.interaction : null;
    const refuse = async (reason: string) => {
      await this.audit.recordAlone(meta, {
        action: 'user.signup.verified',
        outcome: 'failure',
        orgId: mine ? orgId : null,
        reason,
      });
      return linkInvalid();
    };
    if (!mine || found.status !== 'live') throw await refuse('unknown, spent or expired link');
    const p = mine.params as { email: string; password_hash: string; policy_version?: string };
    if (!signupAllows(await this.settings.effective(orgId), p.email)) throw await refuse('sign-up closed since');
    const id = newId('user');
    const create = async (tx: Tx) => {
      if (!(await this.interactions.consume(mine.id, tx))) throw new LinkSpent();
      await tx.user.create({
        data: { id, orgId, email: p.email, passwordHash: p.password_hash, emailVerified: true },
      });
      await this.audit.record(tx, meta, {
        action: 'user.signup.verified',
        outcome: 'success',
        actor: { id, tier: 'user' },
        orgId,
        target: { type: 'user', id },
        details: mine.clientId ? { client_id: mine.clientId } : {},
      });
    };
    try {
      const required = (await this.prisma.orgControl.findUnique({ where: { orgId }, select: { policyVersion: true } }))
        ?.policyVersion;
      if (required && p.policy_version === required) {
        await this.policy.accept({ id, tier: 'user' }, meta, orgId, required, 'self', create);
      } else {
        await this.prisma.transaction(create);
      }
    } catch (err) {
      if (err instanceof LinkSpent) throw await refuse('unknown, spent or expired link');
      if (isUniqueViolation(err)) throw await refuse('account exists');
      throw err;
    }
    return { id, org_id: orgId, email: p.email, email_verified: true };
  }
}

class LinkSpent extends Error {}
