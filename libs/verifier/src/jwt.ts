import { verify as rsaVerify, type KeyObject } from 'node:crypto';
import { ACCESS_TOKEN_TYP, type AccessTokenClaims } from './claims';
import { VerifierError } from './errors';

/** Longer than any token Gatehouse signs; anything bigger is refused before decoding. */
export const MAX_TOKEN_LENGTH = 8192;
const B64URL = /^[A-Za-z0-9_-]+$/;
const TIERS = new Set(['admin', 'app', 'user']);
const HEADER_CACHE_MAX = 64;

/** What {@link TokenChecker} requires of a token besides the fixed access-token profile. */
export interface ClaimRules {
  issuer: string;
  /** Accepted `aud` values; `'any'`: whatever audience (the issuer reading its own tokens back). */
  audiences: ReadonlySet<string> | 'any';
  clockToleranceS: number;
}

/** A token split and its header checked, waiting for its key. */
export interface ParsedToken {
  kid: string;
  signingInput: string;
  signature: string;
  payload: string;
}

/**
 * Strict compact-JWS parsing and RS256 verification over node:crypto (docs/design.md §9:
 * about three times jose's generic path). The header is checked against a fixed profile
 * — RS256 only, `typ: at+jwt`, a `kid`, no `crit` — and never trusted beyond naming a key
 * to look up in our own cache: `jku`, `x5u`, `jwk` and `x5c` are ignored (§8). A header
 * segment that passed is remembered, so a stream of tokens from one key parses it once.
 * The one check of the access-token profile: {@link Verifier} and Gatehouse's own
 * bearer verification both use it.
 *
 * @example
 * ```ts
 * const checker = new TokenChecker({ issuer, audiences: new Set([audience]), clockToleranceS: 5 });
 * const parsed = checker.parse(token);
 * const claims = checker.verify(parsed, await keyFor(parsed.kid), Math.floor(Date.now() / 1000));
 * ```
 */
export class TokenChecker {
  private readonly headers = new Map<string, string>();

  constructor(private readonly rules: ClaimRules) {}

  parse(token: unknown): ParsedToken {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw malformed();
    const d1 = token.indexOf('.');
    const d2 = token.indexOf('.', d1 + 1);
    if (d1 < 1 || d2 < d1 + 2 || d2 === token.length - 1 || token.indexOf('.', d2 + 1) !== -1) throw malformed();
    const header = token.slice(0, d1);
    // A remembered header segment already passed the charset and profile checks.
    const kid = this.headers.get(header) ?? this.checkHeader(header);
    return { kid, signingInput: token.slice(0, d2), signature: token.slice(d2 + 1), payload: token.slice(d1 + 1, d2) };
  }

  /** RFC 7515 §5.2 steps, then RFC 7519 §7.2 and RFC 9068 §4 claim checks. */
  verify(parsed: ParsedToken, key: KeyObject, nowS: number): AccessTokenClaims {
    // Buffer's base64url decoder skips foreign characters: a signature segment that does not
    // decode to exactly its length's worth of bytes is refused, so one token is one string.
    // (The payload needs no such check: the signature covers its exact characters.)
    const sig = Buffer.from(parsed.signature, 'base64url');
    if (sig.length !== Math.floor((parsed.signature.length * 3) / 4)) throw malformed();
    if (!rsaVerify('sha256', Buffer.from(parsed.signingInput), key, sig)) {
      throw new VerifierError('signature_invalid', 'The token signature is invalid.');
    }
    const claims = decodeJson(parsed.payload);
    if (!claims) throw new VerifierError('token_malformed', 'The token payload is not a JSON object.');
    this.checkClaims(claims, nowS);
    return claims as unknown as AccessTokenClaims;
  }

  private checkHeader(segment: string): string {
    const h = B64URL.test(segment) ? decodeJson(segment) : null;
    if (!h) throw new VerifierError('token_malformed', 'The token header is not a JSON object.');
    if (h.alg !== 'RS256') throw new VerifierError('alg_not_allowed', 'The token is not signed with RS256.');
    // RFC 8725 §3.11 / RFC 9068 §2.1: "at+jwt", also written "application/at+jwt".
    const typ = typeof h.typ === 'string' ? h.typ.toLowerCase().replace(/^application\//, '') : undefined;
    if (typ !== ACCESS_TOKEN_TYP) throw new VerifierError('typ_invalid', 'The token is not an at+jwt access token.');
    // RFC 7515 §4.1.11: extensions we do not understand make the token invalid.
    if (h.crit !== undefined) throw new VerifierError('token_malformed', 'The token header has critical extensions.');
    if (typeof h.kid !== 'string' || h.kid.length === 0 || h.kid.length > 128) {
      throw new VerifierError('key_unknown', 'The token names no signing key.');
    }
    if (this.headers.size >= HEADER_CACHE_MAX) this.headers.clear();
    this.headers.set(segment, h.kid);
    return h.kid;
  }

  private checkClaims(c: Record<string, unknown>, now: number): void {
    const skew = this.rules.clockToleranceS;
    if (c.iss !== this.rules.issuer)
      throw new VerifierError('issuer_invalid', 'The token was issued by another issuer.');
    if (!audienceMatches(c.aud, this.rules.audiences)) {
      throw new VerifierError('audience_invalid', 'The token is meant for another audience.');
    }
    if (typeof c.exp !== 'number' || typeof c.iat !== 'number') {
      throw new VerifierError('claims_invalid', 'The token lacks "exp" or "iat".');
    }
    // RFC 7519 §4.1.4: not accepted on or after exp (plus the skew allowance).
    if (now >= c.exp + skew) throw new VerifierError('token_expired', 'The token has expired.');
    if (c.nbf !== undefined && (typeof c.nbf !== 'number' || now + skew < c.nbf)) {
      throw new VerifierError('token_not_yet_valid', 'The token is not valid yet.');
    }
    if (now + skew < c.iat) throw new VerifierError('token_not_yet_valid', 'The token was issued in the future.');
    if (typeof c.sub !== 'string' || typeof c.jti !== 'string' || typeof c.scope !== 'string') {
      throw new VerifierError('claims_invalid', 'The token lacks "sub", "jti" or "scope".');
    }
    if (typeof c.tier !== 'string' || !TIERS.has(c.tier)) {
      throw new VerifierError('claims_invalid', 'The token has no valid tier.');
    }
    if (c.tier === 'admin') {
      if (c.org !== undefined || c.org_id !== undefined) {
        throw new VerifierError('claims_invalid', 'An admin token must not carry an organization.');
      }
    } else if (typeof c.org_id !== 'string' || typeof c.client_id !== 'string') {
      throw new VerifierError('claims_invalid', 'The token lacks its organization or client.');
    }
  }
}

const malformed = () => new VerifierError('token_malformed', 'The token is not a compact JWS.');

function audienceMatches(aud: unknown, accepted: ReadonlySet<string> | 'any'): boolean {
  if (typeof aud === 'string') return accepted === 'any' || accepted.has(aud);
  return Array.isArray(aud) && aud.some((a) => typeof a === 'string' && (accepted === 'any' || accepted.has(a)));
}

function decodeJson(segment: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
