import { Injectable } from '@nestjs/common';
import {
  DEFAULT_SIGN_IN_SETTINGS,
  type FactorPolicy,
  type Locale,
  type SignInSettings,
  type SignupMode,
} from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { OrgAccess, type DirectoryActor } from '../org-access';

/**
 * An organization's sign-in settings (docs/sign-in-experience.md#sign-in-settings): passkeys,
 * user MFA, self sign-up and its domains, the default locale. No row means the defaults; a
 * PUT replaces the whole document.
 */
@Injectable()
export class SignInSettingsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: OrgAccess,
    private readonly audit: AuditService,
  ) {}

  async get(actor: DirectoryActor, orgId: string): Promise<SignInSettings> {
    await this.access.resolveFor(actor, orgId);
    return this.effective(orgId);
  }

  /** The settings in force for an org, for the sign-in flows (no caller to check). */
  async effective(orgId: string): Promise<SignInSettings> {
    const row = await this.prisma.orgSignInSettings.findUnique({ where: { orgId } });
    if (!row) return { ...DEFAULT_SIGN_IN_SETTINGS, signup_domains: [] };
    return {
      passkeys: row.passkeys as FactorPolicy,
      mfa: row.mfa as FactorPolicy,
      signup: row.signup as SignupMode,
      signup_domains: row.signupDomains,
      default_locale: row.defaultLocale as Locale,
    };
  }

  async put(actor: DirectoryActor, meta: RequestMeta, orgId: string, input: SignInSettings): Promise<SignInSettings> {
    const before = await this.get(actor, orgId);
    const next: SignInSettings = { ...input, signup_domains: [...new Set(input.signup_domains)] };
    await this.prisma.transaction(async (tx) => {
      const data = {
        passkeys: next.passkeys,
        mfa: next.mfa,
        signup: next.signup,
        signupDomains: next.signup_domains,
        defaultLocale: next.default_locale,
      };
      await tx.orgSignInSettings.upsert({ where: { orgId }, create: { orgId, ...data }, update: data });
      await this.audit.record(tx, meta, {
        action: 'org.sign_in_settings.changed',
        outcome: 'success',
        actor,
        orgId,
        target: { type: 'organization', id: orgId },
        details: { ...next, previous: { ...before } },
      });
    });
    return next;
  }
}
