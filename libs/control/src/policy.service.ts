import { Injectable } from '@nestjs/common';
import { Problems, type Principal } from '@gatehouse/core';
import { PrismaService, type Tx } from '@gatehouse/db';
import type { RequestMeta } from '@gatehouse/audit';
import { ControlService } from './control.service';
import { APPS_ACCEPTANCE } from './org-state';

/**
 * Who accepts: the calling principal, or — at sign-in's policy step, before the user holds a
 * token — the user the step's token names (docs/control.md#policy).
 */
export type Acceptor = Pick<Principal, 'id' | 'tier'>;

/**
 * The policy an org's principals must accept (docs/control.md#policy): the required version
 * and its document; users accept for themselves, an org admin accepts for the org's apps.
 * Only the required version can be accepted, so an acceptance always names what was shown.
 */
@Injectable()
export class PolicyService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly control: ControlService,
  ) {}

  async require(
    actor: Principal,
    meta: RequestMeta,
    orgId: string,
    input: { required_version: string | null; document_url?: string | null; reason?: string },
  ) {
    await this.prisma.transaction(async (tx) => {
      const before = await tx.orgControl.findUnique({ where: { orgId } });
      const data = { policyVersion: input.required_version, policyDocumentUrl: input.document_url ?? null };
      await tx.orgControl.upsert({ where: { orgId }, create: { orgId, ...data }, update: data });
      await this.control.record(tx, meta, actor, orgId, 'control.policy.changed', input.reason, {
        from: before?.policyVersion ?? null,
        required_version: input.required_version,
        document_url: data.policyDocumentUrl,
      });
    });
    return (await this.control.view(orgId)).policy;
  }

  /**
   * `subject`: the accepting user itself, or the org's apps (an org admin accepting for them).
   * `within` runs in the acceptance's transaction once the version is known to be the
   * required one, before it is recorded: the sign-in's policy step spends its single-use
   * token there, so a token is spent exactly when an acceptance is recorded
   * (docs/control.md#policy). If it throws, nothing is recorded.
   */
  async accept(
    actor: Acceptor,
    meta: RequestMeta,
    orgId: string,
    version: string,
    subject: 'self' | 'apps',
    within?: (tx: Tx) => Promise<void>,
  ) {
    const subjectId = subject === 'apps' ? APPS_ACCEPTANCE : actor.id;
    return this.prisma.transaction(async (tx) => {
      const control = await tx.orgControl.findUnique({ where: { orgId } });
      if (!control?.policyVersion) {
        throw Problems.conflict('This organization requires no policy.', { required_version: null });
      }
      if (control.policyVersion !== version) {
        throw Problems.conflict(`The required policy version is "${control.policyVersion}", not "${version}".`, {
          required_version: control.policyVersion,
        });
      }
      await within?.(tx);
      const row = await tx.policyAcceptance.upsert({
        where: { orgId_subjectId_version: { orgId, subjectId, version } },
        create: { orgId, subjectId, version, acceptedBy: actor.id },
        update: {},
      });
      await this.audit(tx, meta, actor, orgId, version, subjectId);
      return {
        version,
        accepted_for: subject === 'apps' ? 'apps' : actor.id,
        accepted_by: row.acceptedBy,
        accepted_at: row.acceptedAt.toISOString(),
      };
    });
  }

  private audit(
    tx: Parameters<ControlService['record']>[0],
    meta: RequestMeta,
    actor: Acceptor,
    orgId: string,
    version: string,
    subjectId: string,
  ) {
    return this.control.record(tx, meta, actor, orgId, 'control.policy.accepted', undefined, {
      version,
      accepted_for: subjectId,
    });
  }
}
