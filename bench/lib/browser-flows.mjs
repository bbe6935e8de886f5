// The browser side of `npm run bench`'s sign-in scenarios (docs/performance.md#how-the-bench-measures):
// a browser without JavaScript over node:http keep-alive connections — a cookie jar, redirects
// followed one by one, the hosted pages' forms read and submitted — the way
// test/support/cookie-browser.ts drives them in the suites. Its CPU is the bench's, not the
// server's, as a real browser's would be.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';

/** A PKCE pair (RFC 7636 §4.1–4.2, S256); one per pool of codes is enough for a bench. */
export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** One HTTP request over `agent`, the body read whole; resolves { status, headers, body }. */
export function request(agent, url, { method = 'GET', headers = {}, body = '' } = {}) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: { ...headers, ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A cookie jar and the forms of the hosted pages. Every request carries `x-forwarded-for`
 * (the bench starts Gatehouse with GATEHOUSE_TRUST_PROXY), one source address per browser,
 * so the per-address sign-in limit counts each simulated person apart.
 */
export class Browser {
  constructor(agent, address, stopAt) {
    this.agent = agent;
    this.address = address;
    this.stopAt = stopAt;
    this.jar = new Map();
  }

  async request(url, form) {
    const headers = { 'accept-language': 'en', 'x-forwarded-for': this.address };
    if (this.jar.size) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    let body = '';
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.origin = new URL(url).origin;
      body = new URLSearchParams(form).toString();
    }
    const res = await request(this.agent, url, { method: form ? 'POST' : 'GET', headers, body });
    const set = res.headers['set-cookie'] ?? [];
    for (const line of set) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return { ...res, url };
  }

  /** Follows redirects until a page, or a redirect to `stopAt` (returned with its location as `url`). */
  async go(url, form) {
    let res = await this.request(url, form);
    for (let hops = 0; hops < 10 && res.status >= 300 && res.status < 400; hops++) {
      const location = new URL(res.headers.location, url).toString();
      if (location.startsWith(this.stopAt)) return { ...res, url: location };
      url = location;
      res = await this.request(url);
    }
    return res;
  }

  /** Submits the form of `page` that posts to `action`, with `values` filled in. */
  submit(base, page, action, values = {}) {
    for (const m of page.body.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)) {
      if (m[1] !== action) continue;
      const fields = {};
      for (const input of m[2].matchAll(/<input([^>]*)>/g)) {
        const name = /name="([^"]*)"/.exec(input[1])?.[1];
        const value = /value="([^"]*)"/.exec(input[1])?.[1] ?? '';
        if (name) fields[name] = value.replace(/&amp;/g, '&').replace(/&quot;/g, '"');
      }
      return this.go(new URL(action, base).toString(), { ...fields, ...values });
    }
    throw new Error(`no form posting to ${action} on ${page.url} (${page.status}): ${page.body.slice(0, 300)}`);
  }
}

/**
 * The hosted sign-in of one person at a first-party client (no consent page): the authorization
 * request, the identify page, the password page (bcrypt), the redirect back with a code.
 * Resolves the code, or null when any step did not answer as a browser would expect.
 */
export async function hostedSignIn(browser, { url, clientId, redirectUri, challenge, email, password }) {
  const authorize = `${url}/oauth/authorize?${new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid profile email',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })}`;
  let page = await browser.go(authorize);
  if (page.status !== 200) return null;
  page = await browser.submit(url, page, '/sign-in/identify', { email });
  if (page.status !== 200) return null;
  page = await browser.submit(url, page, '/sign-in/password', { password });
  if (!page.url.startsWith(redirectUri)) return null;
  return new URL(page.url).searchParams.get('code');
}

/** An authorization request answered at once from the browser's session (SSO, docs/sign-in.md): its code, or `{ failed }` with what came back instead. */
export async function codeFromSession(browser, { url, clientId, redirectUri, challenge }) {
  const res = await browser.request(
    `${url}/oauth/authorize?${new URLSearchParams({
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid profile email',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })}`,
  );
  const location = res.headers.location;
  if (res.status < 300 || res.status >= 400 || !location?.startsWith(redirectUri)) return { failed: `${res.status} ${location ?? ''} ${res.body.slice(0, 200)}` };
  return new URL(location).searchParams.get('code');
}

/** The body of the code's redemption at the token endpoint (RFC 6749 §4.1.3, RFC 7636 §4.5). */
export function redemptionBody(code, redirectUri, verifier) {
  return new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }).toString();
}
