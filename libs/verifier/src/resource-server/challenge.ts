/**
 * The `WWW-Authenticate: Bearer` challenge of a protected resource (RFC 6750 §3, with RFC 9728
 * §5.1's `resource_metadata`), so that a client that was refused learns where the metadata is
 * and which scopes the operation needs.
 *
 * @example
 * ```ts
 * const challenge: BearerChallenge = { resourceMetadata: notes.metadataUrl, scopes: ['notes:read'] };
 * res.setHeader('WWW-Authenticate', bearerChallenge(challenge));
 * ```
 */
export interface BearerChallenge {
  /** RFC 9728 §5.1: the URL of the resource's metadata. */
  resourceMetadata: string;
  /** Every scope the operation needs (RFC 6750 §3 `scope`), space-joined in the header. */
  scopes?: readonly string[];
  /** RFC 6750 §3.1; absent when the request carried no token (§3.1: SHOULD NOT include one). */
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  errorDescription?: string;
  realm?: string;
}

/**
 * The header value. Quoted values keep to RFC 6750 §3's characters (a `"` or `\` is dropped).
 *
 * @example
 * ```ts
 * bearerChallenge({
 *   resourceMetadata: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
 *   scopes: ['notes:read', 'notes:write'],
 *   error: 'insufficient_scope',
 * });
 * // 'Bearer error="insufficient_scope", scope="notes:read notes:write",
 * //  resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"'
 * ```
 */
export function bearerChallenge(c: BearerChallenge): string {
  const params: string[] = [];
  if (c.realm) params.push(`realm="${quotable(c.realm)}"`);
  if (c.error) params.push(`error="${c.error}"`);
  if (c.error && c.errorDescription) params.push(`error_description="${quotable(c.errorDescription)}"`);
  if (c.scopes?.length) params.push(`scope="${quotable(c.scopes.join(' '))}"`);
  params.push(`resource_metadata="${quotable(c.resourceMetadata)}"`);
  return `Bearer ${params.join(', ')}`;
}

/** RFC 6750 §3: quoted values use %x20-21 / %x23-5B / %x5D-7E only. */
function quotable(s: string): string {
  return s.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '');
}
