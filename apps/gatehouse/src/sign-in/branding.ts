import { Injectable } from '@nestjs/common';
import { BrandingService, DEFAULT_PRIMARY_COLOR } from '@gatehouse/directory';

/**
 * What a hosted page looks like (docs/sign-in-experience.md#branding): the org's, or the
 * app's over the org's, display name, logo and primary colour; Gatehouse's own where there is
 * no org (an error before the client is known).
 */
export interface Branding {
  displayName: string;
  /** `#rrggbb`; white text on it passes WCAG AA (checked when it is set). */
  primaryColor: string;
  /** A same-origin path (the branding logo route), so the CSP keeps `img-src 'self'`; null: none. */
  logoUrl: string | null;
}

export const DEFAULT_BRANDING: Branding = {
  displayName: 'Gatehouse',
  primaryColor: DEFAULT_PRIMARY_COLOR,
  logoUrl: null,
};

export interface BrandingSource {
  /** The branding of `clientId` in `orgId` (app over org over default); null org: the default. */
  forClient(orgId: string | null, clientId?: string | null): Promise<Branding>;
}

export const BRANDING_SOURCE = Symbol('gatehouse.branding-source');

const COLOR = /^#[0-9a-f]{6}$/i;

/** The brand stylesheet of a colour: one custom property, served by Gatehouse (no inline style). */
export function brandStylesheetPath(color: string): string {
  const hex = (COLOR.test(color) ? color : DEFAULT_PRIMARY_COLOR).slice(1).toLowerCase();
  return `/sign-in/assets/brand/${hex}.css`;
}

/** The stylesheet behind `brandStylesheetPath`, or null for a name that is not one. */
export function brandStylesheet(file: string): string | null {
  const hex = /^([0-9a-f]{6})\.css$/.exec(file)?.[1];
  return hex ? `:root{--primary:#${hex}}\n` : null;
}

@Injectable()
export class OrgBranding implements BrandingSource {
  constructor(private readonly brandings: BrandingService) {}

  async forClient(orgId: string | null, clientId?: string | null): Promise<Branding> {
    if (!orgId) return DEFAULT_BRANDING;
    const b = await this.brandings.effective(orgId, clientId);
    if (!b) return DEFAULT_BRANDING;
    return {
      displayName: b.display_name,
      primaryColor: COLOR.test(b.primary_color) ? b.primary_color : DEFAULT_PRIMARY_COLOR,
      logoUrl: b.logo_url && b.logo_url.startsWith('/') && !b.logo_url.startsWith('//') ? b.logo_url : null,
    };
  }
}
