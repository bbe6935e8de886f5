import type { RequestMeta } from '@gatehouse/audit';
import type { IssuanceKind } from '@gatehouse/core';
import type { TokenResponse } from '@gatehouse/tokens';
import type { AuthenticatedClient } from './client-authenticator';
import type { FormParams } from './form-params';

export type { TokenResponse } from '@gatehouse/tokens';

/** A protocol request (/oauth/token, /oauth/revoke, /oauth/introspect) as the endpoint reads it. */
export interface TokenRequest {
  params: FormParams;
  /** The raw Authorization header, for client_secret_basic. */
  authorization: string | undefined;
  /** The raw `DPoP` header (RFC 9449 §4.1); several fields arrive joined by commas. */
  dpop?: string | string[];
  /** The endpoint's path (`/oauth/token`, `/oauth/revoke`, …): an assertion's `aud` may name its URL. */
  endpoint?: string;
  meta: RequestMeta;
  /** Headers the endpoint adds to the response, whatever its outcome (RateLimit fields). */
  responseHeaders: Record<string, string>;
}

/** A parameter a grant reads; only `repeatable` ones may be sent more than once (RFC 6749 §3.2). */
export interface GrantParameter {
  name: string;
  repeatable?: boolean;
}

/**
 * What the token endpoint hands a grant: the client, already authenticated (or, for a grant
 * whose client authentication is optional, identified by `client_id` alone), already
 * checked against its allowed grant types and its token rate; and only the parameters the
 * grant declared.
 */
export interface GrantRequest {
  params: FormParams;
  client: AuthenticatedClient;
  meta: RequestMeta;
  /**
   * The DPoP key the request proved (RFC 9449 §5), already checked by the endpoint. The
   * grant binds what it issues to it (`dpop` of the issue request); absent: a bearer token.
   */
  dpop?: { jkt: string };
  /**
   * Authenticates the client again and checks it may still use the grant; the issuer calls it
   * when a change raced a request that read the caches without a sync (docs/control.md#live).
   */
  recheck: () => Promise<void>;
}

/**
 * One contract for every grant (node-oidc-provider's grants/*: grantType + parameters +
 * handler; fosite's CanSkipClientAuth). The token endpoint looks handlers up by
 * `grant_type`, authenticates the client as the grant declares, enforces the declared
 * parameters, and only then calls `handle`. Adding a grant is one new file (or folder)
 * registered in OAuthModule, never a change to the controller.
 */
export interface GrantHandler {
  readonly grantType: IssuanceKind;
  /** Parameters the grant reads besides grant_type and client authentication. */
  readonly parameters: readonly GrantParameter[];
  /**
   * `required`: the client authenticates with its secret. `optional`: a public client may
   * instead name itself with `client_id` (a refresh bound to that client); a client that
   * sends a secret is still authenticated in full.
   */
  readonly clientAuthentication: 'required' | 'optional';
  /**
   * The grant issues through the group commit and passes `recheck` to the issuer, so its
   * request may read the caches without a sync round trip: the issuer confirms what it read
   * by the epoch the token's audit INSERT held (docs/control.md#live).
   */
  readonly confirmedAtIssue?: boolean;
  handle(request: GrantRequest): Promise<TokenResponse>;
}

export const GRANT_HANDLERS = Symbol('gatehouse.grant-handlers');
