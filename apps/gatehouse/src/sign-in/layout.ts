import type { Branding } from './branding';
import { html, type Html } from './html';
import type { PageText } from './page-text';

export const ASSETS_PATH = '/sign-in/assets';

/** The page shell: one `main` landmark, a heading, the brand, no inline script or style. */
export function layout(
  text: PageText,
  branding: Branding,
  title: string,
  body: Html,
  opts: { script?: boolean } = {},
): string {
  return `<!doctype html>${html`<html lang="${text.locale}">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="no-referrer" />
      <title>${title} · ${branding.productName}</title>
      <link rel="stylesheet" href="${ASSETS_PATH}/sign-in.css" />
      ${branding.stylesheet ? html`<link rel="stylesheet" href="${branding.stylesheet}" />` : null}
      ${opts.script ? html`<script src="${ASSETS_PATH}/form-post.js"></script>` : null}
    </head>
    <body>
      <header class="brand">
        ${branding.logoUri ? html`<img src="${branding.logoUri}" alt="${branding.productName}" />` : branding.productName}
      </header>
      <main>${body}</main>
      <footer>${text.t('page.powered_by')}</footer>
    </body>
  </html>`}`;
}
