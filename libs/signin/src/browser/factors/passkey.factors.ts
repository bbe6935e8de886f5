import { Injectable } from '@nestjs/common';
import { PrismaService } from '@gatehouse/db';
import type { SignInStep } from '../../interactions/interaction-kinds';
import { UserAuthService } from '../../user-auth.service';
import { UserMfaStep } from '../../user-flows/user-mfa-step';
import { BrowserPasskeys, type OptionsResult } from './browser-passkeys';
import type { FactorContext, FactorResult, SignInFactor } from './sign-in-factor';

/** A passkey with user verification is two factors on its own (docs/sign-in-experience.md#amr). */
const PASSKEY_AMR = ['hwk', 'user', 'mfa'] as const;

/**
 * The passkey as the first factor, on the identifier page (docs/sign-in-experience.md#passkeys-on-the-pages):
 * conditional UI (autofill) and a button, both asking for any discoverable passkey of the
 * org, so nothing is typed and nothing says whether an address has an account. Not a
 * SignInFactor: it answers the identify stage, before any subject is known.
 */
@Injectable()
export class PasskeyFirstFactor {
  constructor(private readonly passkeys: BrowserPasskeys) {}

  enabled(orgId: string): Promise<boolean> {
    return this.passkeys.enabled(orgId);
  }

  options(ctx: FactorContext): Promise<OptionsResult> {
    return this.passkeys.authenticationOptions(ctx);
  }

  async verify(
    ctx: FactorContext,
    form: Readonly<Record<string, string>>,
  ): Promise<{ ok: true; subjectId: string; email: string; amr: readonly string[] } | { ok: false }> {
    if (!(await this.passkeys.enabled(ctx.orgId))) return { ok: false };
    if ((await this.passkeys.retryAfter(ctx)) !== null) return { ok: false };
    const who = await this.passkeys.authenticate(ctx, form.response, undefined);
    return who ? { ok: true, subjectId: who.userId, email: who.email, amr: PASSKEY_AMR } : { ok: false };
  }
}

/** The second-factor step the API sign-in would ask for after the password. */
async function secondStep(prisma: PrismaService, auth: UserAuthService, ctx: FactorContext) {
  if (!ctx.subjectId || ctx.amr.includes('mfa')) return null;
  const user = await prisma.user.findFirst({ where: { id: ctx.subjectId, orgId: ctx.orgId } });
  return user ? auth.secondFactor(ctx.orgId, user, 'pwd') : null;
}

/**
 * The passkey as the second factor after the password (docs/sign-in-experience.md#passkeys-on-the-pages),
 * when the API's rule asks this user for one (`passkeys: required`, or a user who has one).
 * Listed before the code: a user with both meets the passkey first, and may post
 * `alternative=totp` to take the code page instead. The assertion must be one of this user's
 * passkeys; success writes the API's `user.login.mfa` row in the transaction that spends the
 * challenge.
 */
@Injectable()
export class PasskeySecondFactor implements SignInFactor {
  readonly step = 'passkey' as const;
  readonly fields = ['response', 'alternative'] as const;

  constructor(
    private readonly prisma: PrismaService,
    private readonly auth: UserAuthService,
    private readonly mfaStep: UserMfaStep,
    private readonly passkeys: BrowserPasskeys,
  ) {}

  async applies(ctx: FactorContext): Promise<boolean> {
    const step = await secondStep(this.prisma, this.auth, ctx);
    return step?.step === 'verify' && step.methods.includes('passkey');
  }

  /** Whether the user may take the authenticator code instead. */
  async codeAlternative(ctx: FactorContext): Promise<boolean> {
    const step = await secondStep(this.prisma, this.auth, ctx);
    return step?.step === 'verify' && step.methods.includes('totp');
  }

  async alternatives(ctx: FactorContext): Promise<SignInStep[]> {
    return (await this.codeAlternative(ctx)) ? ['mfa'] : [];
  }

  options(ctx: FactorContext): Promise<OptionsResult> {
    return this.passkeys.authenticationOptions(ctx, ctx.subjectId ?? undefined);
  }

  async verify(ctx: FactorContext, form: Readonly<Record<string, string>>): Promise<FactorResult> {
    const userId = ctx.subjectId;
    if (!userId) return { ok: false, error: 'invalid_credentials' };
    // Done without a passkey: the code step (which still applies, amr has no `mfa`) comes next.
    if (form.alternative === 'totp') {
      return (await this.codeAlternative(ctx))
        ? { ok: true, subjectId: userId, amr: [] }
        : { ok: false, error: 'invalid_credentials' };
    }
    const wait = await this.passkeys.retryAfter(ctx);
    if (wait !== null) return { ok: false, error: 'rate_limited', retryAfterS: wait };
    const who = await this.passkeys.authenticate(ctx, form.response, userId, (tx, id) =>
      this.mfaStep.recordSuccess(tx, ctx.meta, id, ctx.orgId, ctx.clientId, { factor: 'passkey' }),
    );
    return who ? { ok: true, subjectId: who.userId, amr: PASSKEY_AMR } : { ok: false, error: 'invalid_credentials' };
  }
}

/**
 * A passkey registered inside the sign-in (docs/sign-in-experience.md#passkeys-on-the-pages):
 * the org requires one (or requires a second factor and allows passkeys) and this user has
 * none. The passkey is stored with its `passkey.registered` row and the sign-in continues
 * with `amr` `pwd hwk user mfa`, as the API's enrolment does.
 */
@Injectable()
export class PasskeySetupFactor implements SignInFactor {
  readonly step = 'passkey_setup' as const;
  readonly fields = ['response'] as const;

  constructor(
    private readonly prisma: PrismaService,
    private readonly auth: UserAuthService,
    private readonly mfaStep: UserMfaStep,
    private readonly passkeys: BrowserPasskeys,
  ) {}

  async applies(ctx: FactorContext): Promise<boolean> {
    const step = await secondStep(this.prisma, this.auth, ctx);
    return step?.step === 'enrol' && step.methods.includes('passkey');
  }

  options(ctx: FactorContext): Promise<OptionsResult> {
    return this.passkeys.registrationOptions(ctx);
  }

  async verify(ctx: FactorContext, form: Readonly<Record<string, string>>): Promise<FactorResult> {
    const wait = await this.passkeys.retryAfter(ctx);
    if (wait !== null) return { ok: false, error: 'rate_limited', retryAfterS: wait };
    const stored =
      ctx.subjectId &&
      (await this.passkeys.register(ctx, form.response, 'sign-in', (tx, id) =>
        this.mfaStep.recordSuccess(tx, ctx.meta, id, ctx.orgId, ctx.clientId, { factor: 'passkey' }),
      ));
    if (!stored || !ctx.subjectId) return { ok: false, error: 'invalid_credentials' };
    return { ok: true, subjectId: ctx.subjectId, amr: PASSKEY_AMR };
  }
}
