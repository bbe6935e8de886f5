import type { ClientRecord } from '../client-cache';
import type { FormParams } from '../form-params';
import type { RegisteredResource } from '../resources/resolve-resource';

/** OIDC Core §5.4 and §11: the scopes Gatehouse itself gives meaning to at sign-in. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;
/** OIDC Core §3.1.2.1 `prompt` values Gatehouse answers. */
export const PROMPT_VALUES = ['none', 'login', 'consent', 'select_account'] as const;
export type Prompt = (typeof PROMPT_VALUES)[number];
export const RESPONSE_MODES = ['query', 'form_post'] as const;
export type ResponseMode = (typeof RESPONSE_MODES)[number];

/**
 * An authorization request every check has passed (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC
 * Core §3.1.2.1, RFC 8707 §2): what the sign-in pages park and the code is bound to.
 */
export interface AuthorizationRequest {
  clientId: string;
  orgId: string;
  redirectUri: string;
  responseMode: ResponseMode;
  state: string | null;
  nonce: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | null;
  scopes: string[];
  /** The RFC 8707 resource (the one audience of the tokens), or null: the default audience. */
  resource: string | null;
  prompt: Prompt[];
  maxAge: number | null;
  loginHint: string | null;
  uiLocales: string[];
  acrValues: string | null;
}

/**
 * A refused authorization request. `page`: the redirect URI is not (yet) trusted, so the
 * browser is shown an error page and never redirected (RFC 6749 §4.1.2.1); `redirect`: the
 * error goes back to the client with `state` and `iss` (RFC 9207).
 */
export class AuthorizationFailure extends Error {
  constructor(
    readonly where: 'page' | 'redirect',
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
    this.name = 'AuthorizationFailure';
  }
}

/** What the checks read and build. */
export interface AuthorizationContext {
  params: FormParams;
  /** The live client `client_id` names, or null (looked up by the caller). */
  client: ClientRecord | null;
  /** The organization the `organization` parameter names (id or name), looked up by the caller; undefined: not sent. */
  organization?: { id: string; name: string } | null;
  defaultAudience: string;
  /** Filled in check by check. */
  request: Partial<AuthorizationRequest>;
  /** The registered resource the request names, once checked. */
  resource?: RegisteredResource | null;
}

export type AuthorizationCheck = (ctx: AuthorizationContext) => void;

/** The one value of a parameter that may appear once (RFC 6749 §3.1); a repeat is the failure given. */
export function single(ctx: AuthorizationContext, name: string, where: 'page' | 'redirect'): string | undefined {
  const all = ctx.params.all(name);
  if (all.length > 1)
    throw new AuthorizationFailure(where, 'invalid_request', `Parameter "${name}" appears more than once.`);
  return all[0] === '' ? undefined : all[0];
}

/** The client, once check-client has run. */
export function clientOf(ctx: AuthorizationContext): ClientRecord {
  if (!ctx.client) throw new Error('check-client must run first');
  return ctx.client;
}
