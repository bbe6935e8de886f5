import { ID_JAG_TYP } from '@gatehouse/core';
import { isAsymmetricJwsAlg, type AsymmetricJwsAlg, type CompactJws } from '@gatehouse/verifier';

/**
 * The pure rules of an ID-JAG presented to Gatehouse as the resource authorization server
 * (draft-ietf-oauth-identity-assertion-authz-grant §"Access Token Request" processing rules,
 * RFC 7521 §5.2, RFC 7523 §3; docs/id-jag.md#the-checks). No I/O: the grant looks up the
 * issuer, its keys, the resource and the user, and hands the facts in.
 */

/** Clock allowance either way on `exp`, `iat` and `nbf`. */
export const ID_JAG_CLOCK_TOLERANCE_S = 5;
/**
 * An ID-JAG lives minutes (the draft's example: 5); Gatehouse refuses one whose `exp` is more
 * than ten minutes ahead, which bounds how long its `jti` must be remembered.
 */
export const MAX_ID_JAG_LIFETIME_S = 600;
export const MAX_ID_JAG_LENGTH = 16 * 1024;
const MAX_JTI_LENGTH = 256;
const MAX_SUB_LENGTH = 255;

/** A refused grant; `reason` goes to the audit row and the log, never to the client. */
export class IdJagRefused extends Error {
  constructor(
    readonly reason: string,
    /** RFC 6749 §5.2 `invalid_grant` for the assertion; RFC 8707 `invalid_target`, RFC 6749 `invalid_scope` for the request. */
    readonly error: 'invalid_grant' | 'invalid_target' | 'invalid_scope' = 'invalid_grant',
  ) {
    super(reason);
    this.name = 'IdJagRefused';
  }
}

/** RFC 7515 §4.1.9: `typ` is a media type, compared case-insensitively, `application/` optional. */
export function isIdJagTyp(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  const t = typ.toLowerCase();
  return t === ID_JAG_TYP || t === `application/${ID_JAG_TYP}`;
}

/** The header checks: `typ`, an asymmetric `alg` of the allow-list (never `none`, never HMAC), no `crit`. */
export function checkHeader(header: CompactJws['header']): AsymmetricJwsAlg {
  if (!isIdJagTyp(header.typ)) throw new IdJagRefused(`"typ" is not ${ID_JAG_TYP}`);
  if (!isAsymmetricJwsAlg(header.alg)) throw new IdJagRefused(`alg ${String(header.alg)} not allowed`);
  if (header.crit !== undefined) throw new IdJagRefused('critical header parameters');
  return header.alg;
}

/** What the grant needs of a checked ID-JAG. */
export interface IdJagClaims {
  iss: string;
  sub: string;
  jti: string;
  exp: number;
  /** The `resource` claim as a list (a string or an array of strings); empty when absent. */
  resources: string[];
  /** The `scope` claim split; empty when absent. */
  scopes: string[];
  email?: string;
  emailVerified: boolean;
  authTime?: number;
}

/**
 * The claim checks, once the signature verified:
 * - `aud` is Gatehouse's issuer, alone (a string, or an array of exactly that one);
 * - `client_id` is the authenticated client;
 * - `sub`, `jti` present; `exp` present, not past, at most {@link MAX_ID_JAG_LIFETIME_S} ahead;
 *   `iat` present and not in the future; `nbf`, when present, not in the future;
 * - `resource` and `scope`, when present, of the right types.
 */
export function checkClaims(
  payload: Record<string, unknown>,
  ctx: { issuer: string; clientId: string; now: number },
): IdJagClaims {
  const c = payload;
  const skew = ID_JAG_CLOCK_TOLERANCE_S;
  const aud = Array.isArray(c.aud) && c.aud.length === 1 ? c.aud[0] : c.aud;
  if (aud !== ctx.issuer) throw new IdJagRefused('"aud" is not this server\'s issuer');
  if (c.client_id !== ctx.clientId) throw new IdJagRefused('"client_id" is not the authenticated client');
  if (typeof c.iss !== 'string' || c.iss === '') throw new IdJagRefused('no "iss"');
  if (typeof c.sub !== 'string' || c.sub === '' || c.sub.length > MAX_SUB_LENGTH) {
    throw new IdJagRefused('no valid "sub"');
  }
  if (typeof c.exp !== 'number' || !Number.isFinite(c.exp)) throw new IdJagRefused('no "exp"');
  if (c.exp <= ctx.now - skew) throw new IdJagRefused('expired');
  if (c.exp > ctx.now + MAX_ID_JAG_LIFETIME_S + skew) throw new IdJagRefused('"exp" is more than 10 minutes ahead');
  if (typeof c.iat !== 'number' || c.iat > ctx.now + skew) throw new IdJagRefused('"iat" missing or in the future');
  if (c.nbf !== undefined && (typeof c.nbf !== 'number' || c.nbf > ctx.now + skew)) {
    throw new IdJagRefused('"nbf" is in the future or not a number');
  }
  if (typeof c.jti !== 'string' || c.jti === '' || c.jti.length > MAX_JTI_LENGTH)
    throw new IdJagRefused('no valid "jti"');
  const resources = c.resource === undefined ? [] : typeof c.resource === 'string' ? [c.resource] : c.resource;
  if (!Array.isArray(resources) || !resources.every((r) => typeof r === 'string')) {
    throw new IdJagRefused('"resource" is not a string or an array of strings');
  }
  if (c.scope !== undefined && typeof c.scope !== 'string') throw new IdJagRefused('"scope" is not a string');
  return {
    iss: c.iss,
    sub: c.sub,
    jti: c.jti,
    exp: c.exp,
    resources: resources as string[],
    scopes: typeof c.scope === 'string' ? c.scope.split(' ').filter(Boolean) : [],
    ...(typeof c.email === 'string' && c.email !== '' ? { email: c.email } : {}),
    emailVerified: c.email_verified === true,
    ...(typeof c.auth_time === 'number' && Number.isFinite(c.auth_time) ? { authTime: c.auth_time } : {}),
  };
}

/**
 * The resource the token is for: the request's `resource`, which must be one the grant names
 * when it names any; else the grant's one resource. A token always names a resource here
 * (docs/id-jag.md#resource-and-scopes).
 */
export function chooseResource(requested: string | undefined, asserted: readonly string[]): string {
  if (requested !== undefined) {
    if (asserted.length > 0 && !asserted.includes(requested)) {
      throw new IdJagRefused('the grant does not name the requested resource', 'invalid_target');
    }
    return requested;
  }
  if (asserted.length === 1) return asserted[0]!;
  if (asserted.length === 0) throw new IdJagRefused('neither the grant nor the request names a resource');
  throw new IdJagRefused('the grant names several resources; ask for one', 'invalid_target');
}

/**
 * The token's scopes: the intersection of the requested scopes (all asserted ones when none
 * are requested) and the asserted ones, then of what the resource declares and the app holds.
 * Requested scopes outside it are left out, and the response's `scope` says what was granted
 * (RFC 6749 §3.3, §5.1).
 */
export function grantedScopes(
  requested: string | undefined,
  asserted: readonly string[],
  resourceScopes: readonly string[],
  appScopes: readonly string[],
): string[] {
  const asked = requested === undefined || requested.trim() === '' ? asserted : requested.split(' ').filter(Boolean);
  return [...new Set(asked)].filter((s) => asserted.includes(s) && resourceScopes.includes(s) && appScopes.includes(s));
}
