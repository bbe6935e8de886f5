/**
 * RFC 9728 OAuth 2.0 Protected Resource Metadata: the document a resource server publishes so
 * that clients (an MCP client, for one) learn which authorization server issues its tokens and
 * which scopes it knows, starting from nothing but the resource's URL.
 */

/**
 * The fields of RFC 9728 §2 this package publishes.
 *
 * @example
 * ```ts
 * const doc: ProtectedResourceMetadata = await (await fetch(notes.metadataUrl)).json();
 * doc.authorization_servers; // ['https://id.example.com']
 * ```
 */
export interface ProtectedResourceMetadata {
  /** The resource identifier: what tokens carry as `aud`, exactly as registered at Gatehouse. */
  resource: string;
  /** Issuer identifiers of the authorization servers whose tokens are accepted. */
  authorization_servers: string[];
  scopes_supported?: string[];
  /** How a token may be sent: only the `Authorization` header (RFC 6750 §2.1). */
  bearer_methods_supported: ['header'];
  resource_name?: string;
  resource_documentation?: string;
}

/**
 * What {@link protectedResourceMetadata} is built from.
 *
 * @example
 * ```ts
 * const input: ProtectedResourceMetadataInput = {
 *   resource: 'https://mcp.example.com/mcp',
 *   authorizationServers: ['https://id.example.com'],
 * };
 * ```
 */
export interface ProtectedResourceMetadataInput {
  resource: string;
  authorizationServers: readonly string[];
  scopesSupported?: readonly string[];
  resourceName?: string;
  resourceDocumentation?: string;
}

/**
 * RFC 9728 §3: the well-known suffix.
 *
 * @example
 * ```ts
 * `${origin}${PROTECTED_RESOURCE_WELL_KNOWN}`; // 'https://mcp.example.com/.well-known/oauth-protected-resource'
 * ```
 */
export const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/**
 * The RFC 9728 §2 metadata document of a resource. Throws a TypeError on a resource that is
 * not an absolute http(s) URL without fragment, or on no authorization server.
 *
 * @example
 * ```ts
 * const doc = protectedResourceMetadata({
 *   resource: 'https://mcp.example.com/mcp',
 *   authorizationServers: ['https://id.example.com'],
 *   scopesSupported: ['notes:read', 'notes:write'],
 *   resourceName: 'Example notes',
 * });
 * // { resource: 'https://mcp.example.com/mcp', authorization_servers: ['https://id.example.com'],
 * //   scopes_supported: ['notes:read', 'notes:write'], bearer_methods_supported: ['header'],
 * //   resource_name: 'Example notes' }
 * ```
 */
export function protectedResourceMetadata(input: ProtectedResourceMetadataInput): ProtectedResourceMetadata {
  resourceUrl(input.resource);
  if (input.authorizationServers.length === 0) {
    throw new TypeError('protected resource metadata: name at least one authorization server');
  }
  return {
    resource: input.resource,
    authorization_servers: [...input.authorizationServers],
    ...(input.scopesSupported ? { scopes_supported: [...input.scopesSupported] } : {}),
    bearer_methods_supported: ['header'],
    ...(input.resourceName ? { resource_name: input.resourceName } : {}),
    ...(input.resourceDocumentation ? { resource_documentation: input.resourceDocumentation } : {}),
  };
}

/**
 * RFC 9728 §3.1: the metadata URL of a resource, the well-known suffix inserted between the
 * host and the path (`https://mcp.example.com/mcp` → `https://mcp.example.com/.well-known/oauth-protected-resource/mcp`).
 *
 * @example
 * ```ts
 * protectedResourceMetadataUrl('https://mcp.example.com/mcp');
 * // 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp'
 * ```
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const url = resourceUrl(resource);
  return `${url.origin}${PROTECTED_RESOURCE_WELL_KNOWN}${url.pathname === '/' ? '' : url.pathname}${url.search}`;
}

/**
 * The request paths (with any query string left off) a resource server answers with its
 * metadata: the path-aware one of RFC 9728 §3.1 (also without a trailing slash, as clients
 * derive it from the server's URL), and, unless `root` is false, the root one that clients fall
 * back to.
 *
 * @example
 * ```ts
 * protectedResourceMetadataPaths('https://mcp.example.com/mcp/');
 * // ['/.well-known/oauth-protected-resource/mcp/', '/.well-known/oauth-protected-resource/mcp',
 * //  '/.well-known/oauth-protected-resource']
 * ```
 */
export function protectedResourceMetadataPaths(resource: string, root = true): string[] {
  const { pathname } = resourceUrl(resource);
  const exact = `${PROTECTED_RESOURCE_WELL_KNOWN}${pathname === '/' ? '' : pathname}`;
  const trimmed = exact.length > PROTECTED_RESOURCE_WELL_KNOWN.length ? exact.replace(/\/+$/, '') : exact;
  return [...new Set([exact, trimmed, ...(root ? [PROTECTED_RESOURCE_WELL_KNOWN] : [])])];
}

function resourceUrl(resource: string): URL {
  let url: URL;
  try {
    url = new URL(resource);
  } catch {
    throw new TypeError(`protected resource: ${JSON.stringify(resource)} is not an absolute URL`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || resource.includes('#')) {
    throw new TypeError('protected resource: the resource is an http(s) URL without a fragment (RFC 8707 §2)');
  }
  return url;
}
