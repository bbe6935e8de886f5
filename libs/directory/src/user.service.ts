import { Injectable } from '@nestjs/common';
import { newId, Problems, type Principal } from '@gatehouse/core';
import { isUniqueViolation, PrismaService } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { PasswordHasher, passwordWeakness } from '@gatehouse/credentials';
import { OrgAccess } from './org-access';
import { SessionTerminator } from './session-terminator';
import { pageArgs, searchWhere, toPage, type Page, type PageRequest } from './pagination';

export interface UserView {
  id: string;
  org_id: string;
  email: string;
  disabled: boolean;
  email_verified: boolean;
  /** OIDC Core §5.1 profile claims (docs/sign-in.md#claims). */
  name: string | null;
  given_name: string | null;
  family_name: string | null;
  locale: string | null;
  mfa_active: boolean;
  created_at: string;
  updated_at: string;
}

interface UserRow {
  id: string;
  orgId: string;
  email: string;
  disabled: boolean;
  emailVerified: boolean;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  locale: string | null;
  mfaActive: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const view = (u: UserRow): UserView => ({
  id: u.id,
  org_id: u.orgId,
  email: u.email,
  disabled: u.disabled,
  email_verified: u.emailVerified,
  name: u.name,
  given_name: u.givenName,
  family_name: u.familyName,
  locale: u.locale,
  mfa_active: u.mfaActive,
  created_at: u.createdAt.toISOString(),
  updated_at: u.updatedAt.toISOString(),
});

/** The profile fields of a create or update; null clears one. */
export interface UserProfileInput {
  name?: string | null;
  given_name?: string | null;
  family_name?: string | null;
  locale?: string | null;
}

function profile(input: UserProfileInput) {
  return { name: input.name, givenName: input.given_name, familyName: input.family_name, locale: input.locale };
}

/** Users of an org. Queries are always scoped by the org the route named. */
@Injectable()
export class UserService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: OrgAccess,
    private readonly audit: AuditService,
    private readonly passwords: PasswordHasher,
    private readonly sessions: SessionTerminator,
  ) {}

  async create(
    actor: Principal,
    meta: RequestMeta,
    orgId: string,
    input: { email: string; password: string } & UserProfileInput,
  ): Promise<UserView> {
    await this.access.resolve(actor, orgId);
    const weakness = passwordWeakness(input.password, input.email);
    if (weakness) throw Problems.validation([{ path: 'password', message: weakness }]);
    const passwordHash = await this.passwords.hash(input.password);
    try {
      return await this.prisma.transaction(async (tx) => {
        const user = await tx.user.create({
          data: { id: newId('user'), orgId, email: input.email, passwordHash, ...profile(input) },
        });
        await this.audit.record(tx, meta, {
          action: 'user.created',
          outcome: 'success',
          actor,
          orgId,
          target: { type: 'user', id: user.id },
        });
        return view(user);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw Problems.conflict('A user with this email already exists in the organization.');
      throw err;
    }
  }

  async list(actor: Principal, orgId: string, page: PageRequest): Promise<Page<UserView>> {
    await this.access.resolve(actor, orgId);
    const args = pageArgs(page);
    const search = searchWhere(page.q, ['email']);
    const rows = await this.prisma.user.findMany({
      ...args,
      where: { ...args.where, orgId, ...(search ? { AND: [search] } : {}) },
    });
    return toPage(rows, page.limit, view);
  }

  async get(actor: Principal, orgId: string, userId: string): Promise<UserView> {
    await this.access.resolve(actor, orgId);
    return view(await this.find(orgId, userId));
  }

  async update(
    actor: Principal,
    meta: RequestMeta,
    orgId: string,
    userId: string,
    input: { password?: string; disabled?: boolean; email_verified?: boolean } & UserProfileInput,
  ): Promise<UserView> {
    await this.access.resolve(actor, orgId);
    const existing = await this.find(orgId, userId);
    let passwordHash: string | undefined;
    if (input.password !== undefined) {
      const weakness = passwordWeakness(input.password, existing.email);
      if (weakness) throw Problems.validation([{ path: 'password', message: weakness }]);
      passwordHash = await this.passwords.hash(input.password);
    }
    // A new password or a disabled account ends the user's sessions: its tokens issued up
    // to now are dead here at once and, through the revocation feed, at offline verifiers.
    const ending = input.password !== undefined || (input.disabled === true && !existing.disabled);
    return this.prisma.transaction(async (tx) => {
      const user = await tx.user.update({
        where: { id: userId, orgId },
        data: { passwordHash, disabled: input.disabled, emailVerified: input.email_verified, ...profile(input) },
      });
      if (ending) {
        const why = input.password ? 'password_changed' : 'user_disabled';
        await this.sessions.end(tx, meta, userId, orgId, { subjectId: userId }, why, { userId });
      }
      await this.audit.record(tx, meta, {
        action: 'user.updated',
        outcome: 'success',
        actor,
        orgId,
        target: { type: 'user', id: userId },
        details: { changed: Object.keys(input) },
      });
      return view(user);
    });
  }

  async remove(actor: Principal, meta: RequestMeta, orgId: string, userId: string): Promise<void> {
    await this.access.resolve(actor, orgId);
    await this.find(orgId, userId);
    await this.prisma.transaction(async (tx) => {
      // A concurrent DELETE that committed first leaves nothing to delete: 404, not 500.
      const { count } = await tx.user.deleteMany({ where: { id: userId, orgId } });
      if (count === 0) throw Problems.notFound('user');
      await this.sessions.end(tx, meta, userId, orgId, { subjectId: userId }, 'user_deleted', { userId });
      await this.audit.record(tx, meta, {
        action: 'user.deleted',
        outcome: 'success',
        actor,
        orgId,
        target: { type: 'user', id: userId },
      });
    });
  }

  private async find(orgId: string, userId: string): Promise<UserRow> {
    const user = await this.prisma.user.findFirst({ where: { id: userId, orgId } });
    if (!user) throw Problems.notFound('user');
    return user;
  }
}
