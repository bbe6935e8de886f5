import { Injectable } from '@nestjs/common';
import { PrismaService } from '@gatehouse/db';
import { SignInSettingsService } from '@gatehouse/directory';
import { SignInInteractionRepository } from '../interactions/sign-in-interaction.repository';

export type LinkKind = 'password_reset' | 'signup_verification' | 'invitation';

/**
 * What the link pages need to know before a form is posted (docs/sign-in-experience.md#links):
 * whether a link still works, without spending it (a mail scanner's GET must not use it up),
 * so an expired or spent link shows its own page at once; and what the sign-up page asks.
 */
@Injectable()
export class LinkStatus {
  constructor(
    private readonly interactions: SignInInteractionRepository,
    private readonly settings: SignInSettingsService,
    private readonly prisma: PrismaService,
  ) {}

  async live(kind: LinkKind, orgId: string, token: unknown): Promise<boolean> {
    const found = await this.interactions.findLive(kind, token);
    return found.status === 'live' && found.interaction.orgId === orgId;
  }

  /**
   * The sign-up page of an org: null when the org takes no sign-ups at all (`signup: off`);
   * else the policy version a new account accepts on the way (docs/control.md#policy), if any.
   * Whether a given address may sign up is decided when it is posted.
   */
  async signup(orgId: string): Promise<{ policyVersion: string | null } | null> {
    if ((await this.settings.effective(orgId)).signup === 'off') return null;
    const control = await this.prisma.orgControl.findUnique({ where: { orgId }, select: { policyVersion: true } });
    return { policyVersion: control?.policyVersion ?? null };
  }
}
