import { Injectable } from '@nestjs/common';
import { AuditService } from '@gatehouse/audit';
import { PrismaService, type Tx } from '@gatehouse/db';
import { BrandingService, SignInSettingsService } from '@gatehouse/directory';
import { RequestLimits } from '@gatehouse/tokens';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { PasskeyFactor, PasskeyRefused, type PasskeyOwner } from '../../factors/passkey.factor';
import { REDEEM_PER_ADDRESS } from '../../user-flows/flow-limits';
import type { FactorContext } from './sign-in-factor';

export type PasskeyOptions = PublicKeyCredentialRequestOptionsJSON | PublicKeyCredentialCreationOptionsJSON;

/** What a passkey step of the hosted pages hands the page script (docs/sign-in-experience.md#passkeys-on-the-pages). */
export type OptionsResult = { ok: true; options: PasskeyOptions } | { ok: false; error: 'rate_limited' | 'refused' };

/**
 * The WebAuthn ceremonies of the hosted pages, over the API's PasskeyFactor and under the
 * API's rules (docs/sign-in-experience.md#passkeys): the org's `passkeys` setting, the
 * per-address limit of ceremonies shared with the API (`passkey:addr:…`), one
 * `passkey.rejected` audit row naming the real reason of each refusal — with anything that
 * looks like a challenge taken out of it.
 */
@Injectable()
export class BrowserPasskeys {
  constructor(
    private readonly prisma: PrismaService,
    private readonly factor: PasskeyFactor,
    private readonly settings: SignInSettingsService,
    private readonly brandings: BrandingService,
    private readonly limits: RequestLimits,
    private readonly audit: AuditService,
  ) {}

  async enabled(orgId: string): Promise<boolean> {
    return (await this.settings.effective(orgId)).passkeys !== 'off';
  }

  /**
   * The per-address limit of ceremonies (the API's `passkey:addr:…` key), counted for the
   * options and for the answer as the API counts them: false when spent.
   */
  async withinLimit(ctx: FactorContext): Promise<boolean> {
    return (await this.retryAfter(ctx)) === null;
  }

  /** Null within the limit, else the seconds to wait (the refusal audited). */
  async retryAfter(ctx: FactorContext): Promise<number | null> {
    const key = `passkey:addr:${ctx.meta.sourceIp ?? 'unknown'}`;
    const c = await this.limits.count(ctx.meta, { key, policy: REDEEM_PER_ADDRESS, orgId: ctx.orgId });
    return c.allowed ? null : c.retryAfterS;
  }

  /** Options for an assertion: any discoverable passkey of the org, or (second factor) the user's. */
  async authenticationOptions(ctx: FactorContext, userId?: string): Promise<OptionsResult> {
    if (!(await this.enabled(ctx.orgId))) return { ok: false, error: 'refused' };
    if (!(await this.withinLimit(ctx))) return { ok: false, error: 'rate_limited' };
    return { ok: true, options: await this.factor.authenticationOptions({ orgId: ctx.orgId, userId }) };
  }

  /** Options to register a passkey for the sign-in's user. */
  async registrationOptions(ctx: FactorContext): Promise<OptionsResult> {
    const owner = await this.owner(ctx);
    if (!owner || !(await this.enabled(ctx.orgId))) return { ok: false, error: 'refused' };
    if (!(await this.withinLimit(ctx))) return { ok: false, error: 'rate_limited' };
    const name = (await this.brandings.effective(ctx.orgId))?.display_name ?? 'Gatehouse';
    return { ok: true, options: await this.factor.registrationOptions(owner, name) };
  }

  /**
   * Verifies an assertion posted by the page (`response`, the JSON of the credential) and
   * spends its challenge; `userId` for a second factor. `onVerified` runs in the same
   * transaction. Null when refused (audited).
   */
  async authenticate(
    ctx: FactorContext,
    posted: string | undefined,
    userId: string | undefined,
    onVerified?: (tx: Tx, userId: string) => Promise<void>,
  ): Promise<{ userId: string; email: string } | null> {
    try {
      const response = parseResponse<AuthenticationResponseJSON>(posted, userId);
      return await this.prisma.transaction(async (tx) => {
        const verified = await this.factor.authenticate(tx, response, { orgId: ctx.orgId, userId });
        const user = await tx.user.findFirst({ where: { id: verified.userId, orgId: ctx.orgId } });
        if (!user || user.disabled) throw new PasskeyRefused('user disabled', verified.userId);
        await onVerified?.(tx, user.id);
        return { userId: user.id, email: user.email };
      });
    } catch (err) {
      await this.rejected(ctx, err, 'authentication');
      return null;
    }
  }

  /** Verifies a registration posted by the page and stores the passkey (audited). False when refused. */
  async register(
    ctx: FactorContext,
    posted: string | undefined,
    during: string,
    onStored?: (tx: Tx, userId: string) => Promise<void>,
  ): Promise<boolean> {
    const owner = await this.owner(ctx);
    if (!owner) return false;
    try {
      const response = parseResponse<RegistrationResponseJSON>(posted, owner.id);
      await this.prisma.transaction(async (tx) => {
        const created = await this.factor.register(tx, owner, response, defaultPasskeyName());
        await this.audit.record(tx, ctx.meta, {
          action: 'passkey.registered',
          outcome: 'success',
          actor: { id: owner.id, tier: 'user' },
          orgId: ctx.orgId,
          target: { type: 'passkey', id: created.id },
          details: { device_type: created.deviceType, backed_up: created.backedUp, during, via: 'browser' },
        });
        await onStored?.(tx, owner.id);
      });
      return true;
    } catch (err) {
      await this.rejected(ctx, err, 'registration');
      return false;
    }
  }

  private async owner(ctx: FactorContext): Promise<PasskeyOwner | null> {
    if (!ctx.subjectId) return null;
    const user = await this.prisma.user.findFirst({ where: { id: ctx.subjectId, orgId: ctx.orgId } });
    if (!user || user.disabled) return null;
    return { kind: 'user', id: user.id, orgId: ctx.orgId, email: user.email };
  }

  private async rejected(ctx: FactorContext, err: unknown, ceremony: string): Promise<void> {
    if (!(err instanceof PasskeyRefused)) throw err;
    await this.audit.recordAlone(ctx.meta, {
      action: 'passkey.rejected',
      outcome: 'failure',
      actor: err.subjectId ? { id: err.subjectId, tier: 'user' } : null,
      orgId: ctx.orgId,
      reason: redactChallenges(err.reason),
      details: { ceremony, client_id: ctx.clientId, via: 'browser' },
    });
  }
}

function parseResponse<T>(posted: string | undefined, subjectId: string | undefined): T {
  try {
    const value: unknown = JSON.parse(posted ?? '');
    if (value && typeof value === 'object' && 'response' in value) return value as T;
  } catch {
    // fall through: refused below
  }
  throw new PasskeyRefused('malformed response', subjectId ?? null);
}

/**
 * A refusal's reason, for the audit trail: @simplewebauthn's messages quote the challenge
 * they saw and the one expected; a challenge is a live ceremony's handle, a secret, so any
 * long base64url run is replaced. Origins and RP IDs (with `:`, `/` or `.`) stay readable.
 */
export function redactChallenges(reason: string): string {
  return reason.replace(/[A-Za-z0-9_-]{32,}/g, '[redacted]');
}

export function defaultPasskeyName(): string {
  return `Passkey ${new Date().toISOString().slice(0, 10)}`;
}
