/**
 * A browser without a browser (docs/sign-in.md#pages): an HTTP client with a cookie jar that
 * follows redirects one by one and reads and submits the hosted pages' forms, the way a
 * browser without JavaScript would. It stops at the first redirect to `stopAt`.
 */
export interface PageResponse {
  status: number;
  url: string;
  headers: Headers;
  body: string;
}

export interface PageForm {
  action: string;
  fields: Record<string, string>;
}

export class CookieBrowser {
  readonly jar = new Map<string, string>();

  /** `acceptLanguage`: the browser's `Accept-Language` (null: none sent). */
  constructor(
    private readonly stopAt: string,
    private readonly opts: { acceptLanguage?: string | null } = {},
  ) {}

  private store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  private cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** One request, no redirect followed. */
  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<PageResponse> {
    const headers: Record<string, string> = { cookie: this.cookieHeader() };
    const language = this.opts.acceptLanguage === undefined ? 'en' : this.opts.acceptLanguage;
    if (language !== null) headers['accept-language'] = language;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.origin = new URL(url).origin;
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    this.store(res);
    return { status: res.status, url, headers: res.headers, body: await res.text() };
  }

  /** Follows redirects until a page, or a redirect to `stopAt` (returned with its location as `url`). */
  async go(url: string, init: { form?: Record<string, string> } = {}): Promise<PageResponse> {
    let res = await this.request(url, init);
    for (let hops = 0; hops < 10 && res.status >= 300 && res.status < 400; hops++) {
      const location = new URL(res.headers.get('location')!, url).toString();
      if (location.startsWith(this.stopAt)) return { ...res, url: location };
      url = location;
      res = await this.request(url);
    }
    return res;
  }

  /** The forms of a page, by action. */
  static forms(page: PageResponse): PageForm[] {
    const out: PageForm[] = [];
    for (const m of page.body.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)) {
      const fields: Record<string, string> = {};
      for (const input of m[2].matchAll(/<input([^>]*)>/g)) {
        const name = /name="([^"]*)"/.exec(input[1])?.[1];
        const value = /value="([^"]*)"/.exec(input[1])?.[1] ?? '';
        if (name) fields[name] = value.replace(/&amp;/g, '&').replace(/&quot;/g, '"');
      }
      out.push({ action: m[1], fields });
    }
    return out;
  }

  /** Submits the form posting to `action` on `page`, with `values` filled in. */
  async submit(base: string, page: PageResponse, action: string, values: Record<string, string> = {}, pick = 0) {
    const form = CookieBrowser.forms(page).filter((f) => f.action === action)[pick];
    if (!form) throw new Error(`no form posting to ${action} on ${page.url}: ${page.body.slice(0, 500)}`);
    return this.go(new URL(action, base).toString(), { form: { ...form.fields, ...values } });
  }
}
