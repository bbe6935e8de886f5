import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { newId, passesAA, ProblemError, Problems } from '@gatehouse/core';
import { PrismaService, type Tx } from '@gatehouse/db';
import { AuditService, type RequestMeta } from '@gatehouse/audit';
import { OrgAccess, type DirectoryActor } from '../org-access';
import { checkLogo, LOGO_MAX_BYTES, LOGO_TYPES } from './logo';

/** The colour of the pages when neither the app nor the org sets one (passes AA with white text). */
export const DEFAULT_PRIMARY_COLOR = '#1a56db';

/** What an org or app sets itself; null fields fall through (app → org → default). */
export interface BrandingView {
  display_name: string | null;
  primary_color: string | null;
  /** Where the pages load the logo from (Gatehouse's own origin), or null. */
  logo_url: string | null;
  logo_type: string | null;
  updated_at: string | null;
}

/** What the sign-in pages show for an org (and app): every field resolved. */
export interface EffectiveBranding {
  display_name: string;
  primary_color: string;
  logo_url: string | null;
}

export interface Logo {
  bytes: Buffer;
  type: string;
  etag: string;
}

interface Owner {
  orgId: string;
  appId: string | null;
}

const badColor = (color: string) =>
  Problems.validation([
    {
      path: 'primary_color',
      message: `${color} fails WCAG AA (4.5:1) for the white text of the primary button; pick a darker colour`,
    },
  ]);

/**
 * Branding per organization and per application (docs/sign-in-experience.md#branding). A row
 * per owner; the logo's bytes live in the row and are served by Gatehouse itself, so the
 * pages' CSP stays `img-src 'self'`.
 */
@Injectable()
export class BrandingService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: OrgAccess,
    private readonly audit: AuditService,
  ) {}

  async get(actor: DirectoryActor, owner: Owner): Promise<BrandingView> {
    await this.reach(actor, owner);
    return this.view(owner, await this.row(owner));
  }

  async put(
    actor: DirectoryActor,
    meta: RequestMeta,
    owner: Owner,
    input: { display_name?: string | null; primary_color?: string | null },
  ): Promise<BrandingView> {
    await this.reach(actor, owner);
    if (input.primary_color && !passesAA(input.primary_color)) throw badColor(input.primary_color);
    const data = {
      displayName: input.display_name === undefined ? undefined : input.display_name,
      primaryColor: input.primary_color === undefined ? undefined : (input.primary_color?.toLowerCase() ?? null),
    };
    const row = await this.prisma.transaction(async (tx) => {
      const saved = await this.save(tx, owner, data);
      await this.record(tx, meta, actor, owner, { changed: Object.keys(input), ...input });
      return saved;
    });
    return this.view(owner, row);
  }

  async putLogo(
    actor: DirectoryActor,
    meta: RequestMeta,
    owner: Owner,
    contentType: string | undefined,
    body: unknown,
  ): Promise<BrandingView> {
    await this.reach(actor, owner);
    const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
    const check = checkLogo(contentType, bytes);
    if (!check.ok) {
      if (check.reason === 'type') {
        throw new ProblemError(415, 'unsupported_media_type', 'Unsupported logo type', {
          detail: `Send the image as ${LOGO_TYPES.join(', ')} (SVG is not accepted).`,
        });
      }
      if (check.reason === 'size' && bytes.length > LOGO_MAX_BYTES) {
        throw new ProblemError(413, 'payload_too_large', 'Logo too large', {
          detail: `A logo is at most ${LOGO_MAX_BYTES} bytes.`,
        });
      }
      throw Problems.validation([{ path: '(body)', message: `the body is not a ${contentType ?? 'supported'} image` }]);
    }
    const sha = createHash('sha256').update(bytes).digest('base64url');
    const row = await this.prisma.transaction(async (tx) => {
      const saved = await this.save(tx, owner, { logo: bytes, logoType: check.type, logoSha256: sha });
      await this.record(tx, meta, actor, owner, { logo: { type: check.type, bytes: bytes.length, sha256: sha } });
      return saved;
    });
    return this.view(owner, row);
  }

  async deleteLogo(actor: DirectoryActor, meta: RequestMeta, owner: Owner): Promise<BrandingView> {
    await this.reach(actor, owner);
    const row = await this.prisma.transaction(async (tx) => {
      const saved = await this.save(tx, owner, { logo: null, logoType: null, logoSha256: null });
      await this.record(tx, meta, actor, owner, { logo: null });
      return saved;
    });
    return this.view(owner, row);
  }

  /** The logo bytes for the public image route; null when there is none (or no such owner). */
  async logo(owner: Owner): Promise<Logo | null> {
    const row = await this.row(owner);
    return row?.logo && row.logoType && row.logoSha256
      ? { bytes: Buffer.from(row.logo), type: row.logoType, etag: `"${row.logoSha256}"` }
      : null;
  }

  /** App over org over default, for the sign-in pages (docs/sign-in-experience.md#branding). */
  async effective(orgId: string, appId?: string | null): Promise<EffectiveBranding | null> {
    const org = await this.prisma.organization.findUnique({ where: { id: orgId }, select: { displayName: true } });
    if (!org) return null;
    const orgRow = await this.row({ orgId, appId: null });
    const appRow = appId ? await this.row({ orgId, appId }) : null;
    const logoOwner = appRow?.logoSha256 ? appRow : orgRow?.logoSha256 ? orgRow : null;
    return {
      display_name: appRow?.displayName ?? orgRow?.displayName ?? org.displayName,
      primary_color: appRow?.primaryColor ?? orgRow?.primaryColor ?? DEFAULT_PRIMARY_COLOR,
      logo_url: logoOwner ? this.logoUrl({ orgId, appId: logoOwner.appId }, logoOwner.logoSha256!) : null,
    };
  }

  private async reach(actor: DirectoryActor, owner: Owner): Promise<void> {
    await this.access.resolveFor(actor, owner.orgId);
    if (owner.appId) {
      const app = await this.prisma.application.findFirst({ where: { id: owner.appId, orgId: owner.orgId } });
      if (!app) throw Problems.notFound('application');
    }
  }

  private row(owner: Owner) {
    return this.prisma.branding.findFirst({ where: { orgId: owner.orgId, appId: owner.appId } });
  }

  private async save(
    tx: Tx,
    owner: Owner,
    data: {
      displayName?: string | null;
      primaryColor?: string | null;
      logo?: Buffer | null;
      logoType?: string | null;
      logoSha256?: string | null;
    },
  ) {
    // One row per owner (a unique index that treats a null app as one value): insert it if
    // missing, then change it, so concurrent first writes meet on the index, not in two rows.
    await tx.$executeRaw`INSERT INTO brandings (id, org_id, app_id) VALUES (${newId('branding')}, ${owner.orgId}, ${owner.appId})
      ON CONFLICT (org_id, app_id) DO NOTHING`;
    const existing = await tx.branding.findFirstOrThrow({ where: { orgId: owner.orgId, appId: owner.appId } });
    const bytes = data.logo === undefined ? undefined : data.logo === null ? null : new Uint8Array(data.logo);
    return tx.branding.update({ where: { id: existing.id }, data: { ...data, logo: bytes } });
  }

  private record(tx: Tx, meta: RequestMeta, actor: DirectoryActor, owner: Owner, details: Record<string, unknown>) {
    return this.audit.record(tx, meta, {
      action: 'org.branding.changed',
      outcome: 'success',
      actor,
      orgId: owner.orgId,
      target: owner.appId ? { type: 'application', id: owner.appId } : { type: 'organization', id: owner.orgId },
      details,
    });
  }

  private logoUrl(owner: Owner, sha: string): string {
    const base = owner.appId ? `/v1/orgs/${owner.orgId}/apps/${owner.appId}` : `/v1/orgs/${owner.orgId}`;
    // The digest in the query makes a new logo a new URL, so the image can be cached for long.
    return `${base}/branding/logo?v=${sha.slice(0, 16)}`;
  }

  private view(owner: Owner, row: Awaited<ReturnType<BrandingService['row']>>): BrandingView {
    return {
      display_name: row?.displayName ?? null,
      primary_color: row?.primaryColor ?? null,
      logo_url: row?.logoSha256 ? this.logoUrl(owner, row.logoSha256) : null,
      logo_type: row?.logoType ?? null,
      updated_at: row?.updatedAt.toISOString() ?? null,
    };
  }
}
