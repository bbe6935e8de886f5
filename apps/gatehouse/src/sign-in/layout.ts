import { brandStylesheetPath, type Branding } from './branding';
import { html, type Html } from './html';
import type { PageText } from './page-text';

export const ASSETS_PATH = '/sign-in/assets';

/**
 * The page shell: one `main` landmark, a heading, the brand (docs/sign-in-experience.md#branding),
 * no inline script or style: the brand's colour comes in a stylesheet of its own.
 */
export function layout(
  text: PageText,
  branding: Branding,
  title: string,
  body: Html,
  opts: { script?: boolean; scripts?: readonly string[] } = {},
): string {
  return `<!doctype html>${html`<html lang="${text.locale}">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="no-referrer" />
      <meta name="color-scheme" content="light dark" />
      <title>${title} · ${branding.displayName}</title>
      <link rel="stylesheet" href="${ASSETS_PATH}/sign-in.css" />
      <link rel="stylesheet" href="${brandStylesheetPath(branding.primaryColor)}" />
      ${opts.script ? html`<script src="${ASSETS_PATH}/form-post.js"></script>` : null}
      ${(opts.scripts ?? []).map((s) => html`<script src="${ASSETS_PATH}/${s}" defer></script>`)}
    </head>
    <body>
      <header class="brand">
        ${branding.logoUrl ? html`<img src="${branding.logoUrl}" alt="${branding.displayName}" />` : branding.displayName}
      </header>
      <main>${body}</main>
      <footer>${text.t('page.powered_by')}</footer>
    </body>
  </html>`}`;
}
