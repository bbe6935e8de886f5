import type { RequestMeta } from '@gatehouse/audit';

/**
 * One contract for every grant (node-oidc-provider's grants/*: grantType + parameters +
 * handler). The token endpoint looks handlers up by `grant_type`; adding a grant is one
 * new file registered in OAuthModule, never a change to the controller.
 */
export interface TokenRequest {
  /** Form parameters, each present at most once (RFC 6749 §3.2). */
  params: Map<string, string>;
  /** The raw Authorization header, for client_secret_basic. */
  authorization: string | undefined;
  meta: RequestMeta;
  /** Headers the endpoint adds to the response, whatever its outcome (RateLimit fields). */
  responseHeaders: Record<string, string>;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

export interface GrantHandler {
  readonly grantType: string;
  /** Parameters the grant reads besides grant_type and client authentication. */
  readonly parameters: readonly string[];
  handle(request: TokenRequest): Promise<TokenResponse>;
}

export const GRANT_HANDLERS = Symbol('gatehouse.grant-handlers');
