import { Inject, Injectable } from '@nestjs/common';
import { newId, Problems } from '@gatehouse/core';
import { isUniqueViolation, PrismaService, type Tx } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import {
  generateRecoveryCodes,
  KEK,
  KeyedHasher,
  PasswordHasher,
  passwordWeakness,
  SecretBox,
  Totp,
} from '@gatehouse/credentials';

export interface CreatedAdmin {
  id: string;
  email: string;
  role: 'platform' | 'org';
  org_ids: string[];
  /** null when enrolment is deferred to the admin's first sign-in. */
  mfa: { secret: string; otpauth_uri: string; recovery_codes: string[] } | null;
}

/** Administrators: creation (CLI), TOTP seeds sealed under the KEK, recovery codes hashed. */
@Injectable()
export class AdminService {
  readonly recoveryHasher: KeyedHasher;

  constructor(
    private readonly prisma: PrismaService,
    private readonly passwords: PasswordHasher,
    private readonly box: SecretBox,
    private readonly totp: Totp,
    private readonly audit: AuditService,
    @Inject(KEK) kek: Buffer,
  ) {
    this.recoveryHasher = new KeyedHasher(kek, 'recovery-code');
  }

  /**
   * Creates an admin, by default already enrolled in TOTP (the CLI prints the secret once).
   * With `deferMfa` the admin enrols at first sign-in, where the password alone buys
   * nothing but an enrolment-only token.
   */
  async create(
    meta: RequestMeta,
    input: { email: string; password: string; platform: boolean; orgIds: string[]; deferMfa?: boolean },
  ): Promise<CreatedAdmin> {
    const email = input.email.trim().toLowerCase();
    if (!/^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{2,63}$/.test(email)) {
      throw Problems.validation([{ path: 'email', message: 'is not an email address' }]);
    }
    const weakness = passwordWeakness(input.password, email);
    if (weakness) throw Problems.validation([{ path: 'password', message: weakness }]);
    if (!input.platform && input.orgIds.length === 0) {
      throw Problems.validation([
        { path: 'org', message: 'an org admin needs at least one --org (or use --platform)' },
      ]);
    }
    const id = newId('admin');
    const secret = this.totp.newSecret();
    const recoveryCodes = generateRecoveryCodes();
    const passwordHash = await this.passwords.hash(input.password);
    try {
      await this.prisma.transaction(async (tx) => {
        for (const orgId of input.orgIds) {
          if (!(await tx.organization.findUnique({ where: { id: orgId } })))
            throw Problems.notFound(`organization ${orgId}`);
        }
        await tx.administrator.create({
          data: {
            id,
            email,
            passwordHash,
            role: input.platform ? 'platform' : 'org',
            totpSecretEnc: input.deferMfa ? null : this.box.seal(secret, `totp:${id}`),
            mfaActive: !input.deferMfa,
            memberships: { create: input.orgIds.map((orgId) => ({ orgId })) },
          },
        });
        if (!input.deferMfa) await this.storeRecoveryCodes(tx, id, recoveryCodes);
        await this.audit.record(tx, meta, {
          action: 'admin.created',
          outcome: 'success',
          actor: { id: 'cli', tier: 'system' },
          target: { type: 'administrator', id },
          details: { role: input.platform ? 'platform' : 'org', org_ids: input.orgIds, mfa_active: !input.deferMfa },
        });
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw Problems.conflict('An administrator with this email already exists.');
      throw err;
    }
    return {
      id,
      email,
      role: input.platform ? 'platform' : 'org',
      org_ids: input.orgIds,
      mfa: input.deferMfa ? null : { secret, otpauth_uri: this.totp.uri(secret, email), recovery_codes: recoveryCodes },
    };
  }

  async storeRecoveryCodes(tx: Tx, adminId: string, codes: string[]): Promise<void> {
    await tx.recoveryCode.deleteMany({ where: { adminId } });
    await tx.recoveryCode.createMany({
      data: codes.map((c) => ({ id: newId('recovery'), adminId, codeHash: this.recoveryHasher.hash(c) })),
    });
  }
}
