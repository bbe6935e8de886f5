/**
 * What an organization's pages look like (docs/sign-in.md#branding). Today every org gets the
 * default; a branding source (per-org logo, colours, product name) plugs in behind
 * `BrandingSource` without touching the pages.
 */
export interface Branding {
  productName: string;
  /** An https logo shown at the top of every page; null: none. */
  logoUri: string | null;
  /** An extra same-origin stylesheet (served by Gatehouse), after the default one; null: none. */
  stylesheet: string | null;
}

export const DEFAULT_BRANDING: Branding = { productName: 'Gatehouse', logoUri: null, stylesheet: null };

export interface BrandingSource {
  forOrg(orgId: string | null): Promise<Branding>;
}

export const BRANDING_SOURCE = Symbol('gatehouse.branding-source');

export class DefaultBranding implements BrandingSource {
  forOrg(): Promise<Branding> {
    return Promise.resolve(DEFAULT_BRANDING);
  }
}
