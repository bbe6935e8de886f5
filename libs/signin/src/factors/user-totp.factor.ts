import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, newId, type Clock } from '@gatehouse/core';
import { PrismaService, type Tx } from '@gatehouse/db';
import {
  generateRecoveryCodes,
  KEK,
  KeyedHasher,
  looksLikeRecoveryCode,
  normaliseRecoveryCode,
  SecretBox,
  Totp,
} from '@gatehouse/credentials';

/** A code that checked out, not yet spent: `spend` makes it single-use in the caller's transaction. */
export type VerifiedCode = { factor: 'totp'; timeStep: number } | { factor: 'recovery_code'; id: string };

/**
 * Users' TOTP (docs/sign-in-experience.md#mfa-for-users), the administrators' implementation
 * reused: the same RFC 6238 parameters (`Totp`), the seed sealed under the KEK with the
 * user's ID as associated data, replay refused by the last accepted time step, and ten
 * recovery codes shown once and kept as keyed hashes (a purpose of their own).
 */
@Injectable()
export class UserTotpFactor {
  private readonly recoveryHasher: KeyedHasher;

  constructor(
    private readonly prisma: PrismaService,
    private readonly box: SecretBox,
    private readonly totp: Totp,
    @Inject(KEK) kek: Buffer,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.recoveryHasher = new KeyedHasher(kek, 'user-recovery-code');
  }

  /** A new seed for a user not yet enrolled (replacing one never activated). */
  async start(
    tx: Tx | PrismaService,
    user: { id: string; email: string },
  ): Promise<{ secret: string; otpauth_uri: string; qr_svg: string }> {
    const secret = this.totp.newSecret();
    const uri = this.totp.uri(secret, user.email);
    await tx.user.update({
      where: { id: user.id },
      data: { totpSecretEnc: this.box.seal(secret, `user-totp:${user.id}`), totpLastStep: null },
    });
    return { secret, otpauth_uri: uri, qr_svg: await this.totp.qrSvg(uri) };
  }

  /**
   * Checks a TOTP code (or, when `recovery` and the code has that shape, a recovery code)
   * against the user's factor; null for every failure alike.
   */
  async verify(
    user: { id: string; totpSecretEnc: string | null; totpLastStep: bigint | null },
    code: string,
    opts: { recovery: boolean },
  ): Promise<VerifiedCode | null> {
    if (!user.totpSecretEnc) return null;
    if (/^\d{6}$/.test(code)) {
      const secret = this.box.open(user.totpSecretEnc, `user-totp:${user.id}`).toString('utf8');
      const last = user.totpLastStep === null ? null : Number(user.totpLastStep);
      const check = await this.totp.check(secret, code, last, this.clock.now().getTime());
      return check.valid && check.timeStep !== undefined ? { factor: 'totp', timeStep: check.timeStep } : null;
    }
    if (opts.recovery && looksLikeRecoveryCode(code)) {
      const rc = await this.prisma.userRecoveryCode.findFirst({
        where: { userId: user.id, codeHash: this.recoveryHasher.hash(normaliseRecoveryCode(code)), usedAt: null },
      });
      return rc ? { factor: 'recovery_code', id: rc.id } : null;
    }
    return null;
  }

  /** Spends a verified code: false when a concurrent request spent the same step or code first. */
  async spend(tx: Tx, userId: string, code: VerifiedCode): Promise<boolean> {
    if (code.factor === 'totp') {
      const n = await tx.$executeRaw`UPDATE users SET totp_last_step = ${code.timeStep}
        WHERE id = ${userId} AND (totp_last_step IS NULL OR totp_last_step < ${code.timeStep})`;
      return n === 1;
    }
    const used = await tx.userRecoveryCode.updateMany({
      where: { id: code.id, usedAt: null },
      data: { usedAt: this.clock.now() },
    });
    return used.count === 1;
  }

  /** Activates the factor (after a first code was spent) and returns fresh recovery codes, shown once. */
  async activate(tx: Tx, userId: string): Promise<string[]> {
    const codes = generateRecoveryCodes();
    await tx.user.update({ where: { id: userId }, data: { mfaActive: true } });
    await tx.userRecoveryCode.deleteMany({ where: { userId } });
    await tx.userRecoveryCode.createMany({
      data: codes.map((c) => ({ id: newId('recovery'), userId, codeHash: this.recoveryHasher.hash(c) })),
    });
    return codes;
  }

  async remainingRecoveryCodes(tx: Tx, userId: string): Promise<number> {
    return tx.userRecoveryCode.count({ where: { userId, usedAt: null } });
  }

  async remove(tx: Tx, userId: string): Promise<void> {
    await tx.user.update({
      where: { id: userId },
      data: { mfaActive: false, totpSecretEnc: null, totpLastStep: null },
    });
    await tx.userRecoveryCode.deleteMany({ where: { userId } });
  }
}
