import type { Clock } from '@gatehouse/core';
import * as oidc from 'openid-client';
import passport from 'passport';
import { CookieBrowser, type PageResponse } from './cookie-browser';
import { startGatehouse, type TestGatehouse } from './gatehouse';

/** Runs `fn` with one instance's bearer strategy in place. */
export type AsInstance = <T>(fn: () => Promise<T>) => Promise<T>;

/**
 * Bearer authentication is one passport strategy per process (test/support/second-instance.ts):
 * the last instance started owns it. `owning()`, called right after an instance starts, keeps
 * that instance's strategy; its admin calls put it back first.
 */
const registry = passport as unknown as { _strategy(name: string): passport.Strategy };
export function owning(): AsInstance {
  const strategy = registry._strategy('bearer');
  return (fn) => {
    passport.use('bearer', strategy);
    return fn();
  };
}

/**
 * The two Gatehouses of the ID-JAG suites (docs/id-jag.md): an identity provider and a
 * resource authorization server, each with its own database, keys and issuer, both allowed
 * loopback client metadata; `asIdp`/`asRs` run admin calls under each one's bearer strategy.
 */
export async function startIdJagPair(opts: { redis?: boolean; idpClock?: Clock } = {}): Promise<{
  idp: TestGatehouse;
  rs: TestGatehouse;
  asIdp: AsInstance;
  asRs: AsInstance;
}> {
  const env = { GATEHOUSE_CIMD_ALLOW_LOOPBACK: 'true' };
  const idp = await startGatehouse({ redis: opts.redis, env, clock: opts.idpClock });
  const asIdp = owning();
  const rs = await startGatehouse({ redis: opts.redis, env });
  const asRs = owning();
  return { idp, rs, asIdp, asRs };
}

/**
 * A user signs in to `client` at `idp` through the hosted pages (openid-client, PKCE, a cookie
 * jar): identify, password, consent. Returns the code grant's tokens (with the ID token).
 */
export async function signInThroughPages(
  idp: TestGatehouse,
  client: { client_id: string; client_secret: string },
  user: { email: string; password: string },
  callback: string,
): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
  const c = await oidc.discovery(
    new URL(idp.url),
    client.client_id,
    { redirect_uris: [callback] },
    oidc.ClientSecretBasic(client.client_secret),
    { execute: [oidc.allowInsecureRequests] },
  );
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(c, {
    redirect_uri: callback,
    scope: 'openid email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const browser = new CookieBrowser(callback);
  let page: PageResponse = await browser.go(url.toString());
  for (let i = 0; i < 5 && !page.url.startsWith(callback); i++) {
    if (page.status !== 200) throw new Error(`page ${page.status}: ${page.body.slice(0, 400)}`);
    if (page.body.includes('action="/sign-in/identify"'))
      page = await browser.submit(idp.url, page, '/sign-in/identify', { email: user.email });
    else if (page.body.includes('action="/sign-in/password"'))
      page = await browser.submit(idp.url, page, '/sign-in/password', { password: user.password });
    else if (page.body.includes('action="/sign-in/consent"'))
      page = await browser.submit(idp.url, page, '/sign-in/consent', {}, 1);
    else throw new Error(`unexpected page: ${page.body.slice(0, 400)}`);
  }
  return oidc.authorizationCodeGrant(c, new URL(page.url), { pkceCodeVerifier: verifier, expectedState: state });
}
