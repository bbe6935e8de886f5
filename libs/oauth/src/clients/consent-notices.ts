import type { ClientSignIn } from '../client-cache';

/**
 * What the consent page must tell a person about a client before they grant it anything
 * (docs/client-registration.md#consent), in the order to show them:
 * - `redirect_host`: where the authorization code will be sent; for a self-registered client
 *   the one thing its document or registration cannot fake, so it is shown prominently next
 *   to the name, which is only the client's claim;
 * - `all_loopback`: every redirect URI is on this machine — a program running locally, which
 *   anyone can publish a metadata document for;
 * - `unverified_name`: the name was declared by the client itself, not by an administrator.
 */
export type ConsentNotice =
  { code: 'redirect_host'; hosts: string[] } | { code: 'all_loopback' } | { code: 'unverified_name'; name: string };

export function consentNotices(signIn: Pick<ClientSignIn, 'name' | 'selfRegistered'>): ConsentNotice[] {
  const self = signIn.selfRegistered;
  if (!self) return [];
  const notices: ConsentNotice[] = [{ code: 'redirect_host', hosts: self.redirectHosts }];
  if (self.allRedirectsLoopback) notices.push({ code: 'all_loopback' });
  notices.push({ code: 'unverified_name', name: signIn.name });
  return notices;
}

/**
 * Whether the consent page is shown: always for `prompt=consent` (OIDC Core §3.1.2.1; the MCP
 * SDK sends it with `offline_access`) and for a self-registered client's first grant or any
 * scope or resource beyond what the person already granted it; a first-party app
 * (`consent: "first_party"`) skips it otherwise. `prompt=none` with consent needed is the
 * caller's `consent_required` error.
 */
export function consentNeeded(input: {
  prompt: readonly string[];
  consentMode: ClientSignIn['consent'];
  requested: { scopes: readonly string[]; resource: string | null };
  granted: { scopes: readonly string[]; resources: readonly (string | null)[] } | null;
}): boolean {
  if (input.prompt.includes('consent')) return true;
  if (input.consentMode === 'first_party') return false;
  const g = input.granted;
  if (!g) return true;
  return !g.resources.includes(input.requested.resource) || input.requested.scopes.some((s) => !g.scopes.includes(s));
}
