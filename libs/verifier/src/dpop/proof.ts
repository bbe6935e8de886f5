import { createHash, type KeyObject } from 'node:crypto';
import { normalizeHtu } from './htu';
import {
  ASYMMETRIC_JWS_ALGS,
  JwkError,
  importPublicJwk,
  isAsymmetricJwsAlg,
  splitCompactJws,
  verifyJws,
  type AsymmetricJwsAlg,
} from './jws';
import { jwkThumbprint } from './thumbprint';

/** RFC 9449 §4.2: the JWS `typ` of a DPoP proof. */
export const DPOP_PROOF_TYP = 'dpop+jwt';
/** Far above any real proof (an RSA-4096 key in the header is under 1 KiB). */
export const MAX_DPOP_PROOF_LENGTH = 8192;
const MAX_JTI_LENGTH = 256;
const HEADER_CACHE_MAX = 256;

/** What the proof must match. */
export interface DpopProofRules {
  /** The request's HTTP method. */
  method: string;
  /** The request's URI; its query and fragment are ignored (RFC 9449 §4.3 step 9). */
  url: string;
  /** The access token sent with the proof: its hash must be the proof's `ath` (§4.3 step 11). */
  accessToken?: string;
  /** Accepted algorithms (default all of RS256, PS256, ES256, EdDSA). */
  algs?: readonly AsymmetricJwsAlg[];
  /** How old `iat` may be, in seconds. */
  maxAgeS: number;
  /** Allowance for clocks, in seconds, either way. */
  clockToleranceS: number;
  /** Seconds since the epoch (default now). */
  now?: number;
}

/** A proof that passed every stateless check; the caller still checks nonce and replay. */
export interface DpopProof {
  /** RFC 7638 thumbprint of the proof's key: what `cnf.jkt` must equal. */
  jkt: string;
  jti: string;
  iat: number;
  htm: string;
  htu: string;
  nonce?: string;
  alg: AsymmetricJwsAlg;
}

/** A proof that failed; `message` is safe to send to the client. */
export class DpopProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DpopProofError';
  }
}

interface CheckedHeader {
  alg: AsymmetricJwsAlg;
  key: KeyObject;
  jkt: string;
}

/**
 * The stateless checks of RFC 9449 §4.3 on one `DPoP` header value: a compact JWS, `typ`
 * `dpop+jwt`, an allowed asymmetric `alg`, a public `jwk` of the matching type that
 * verifies the signature, `jti`, `htm` and `htu` equal to the request's, `iat` inside the
 * window, and `ath` when an access token goes with it. Nonce and replay need state and are
 * the caller's ({@link DpopNonces}, {@link DpopReplayStore}). A header that passed is
 * remembered (its key imported once), so a client's stream of proofs parses it once.
 *
 * @example
 * ```ts
 * const checker = new DpopProofChecker();
 * const proof = checker.check(req.headers.dpop, { method: 'GET', url: 'https://api.example.com/x', maxAgeS: 60, clockToleranceS: 5 });
 * ```
 */
export class DpopProofChecker {
  private readonly headers = new Map<string, CheckedHeader>();

  check(value: unknown, rules: DpopProofRules): DpopProof {
    if (typeof value !== 'string' || value.length === 0) throw new DpopProofError('The DPoP proof is missing.');
    // Two DPoP fields arrive joined by a comma, which no compact JWS contains (§4.3 step 1).
    if (value.includes(',')) throw new DpopProofError('Send exactly one DPoP proof.');
    const jws = splitCompactJws(value, MAX_DPOP_PROOF_LENGTH);
    if (!jws) throw new DpopProofError('The DPoP proof is not a compact JWS.');
    const headerSegment = value.slice(0, value.indexOf('.'));
    const header = this.headers.get(headerSegment) ?? this.checkHeader(headerSegment, jws.header);
    const algs = rules.algs ?? ASYMMETRIC_JWS_ALGS;
    if (!algs.includes(header.alg)) throw new DpopProofError(`The DPoP proof algorithm ${header.alg} is not accepted.`);
    if (!verifyJws(header.alg, header.key, jws.signingInput, jws.signature)) {
      throw new DpopProofError('The DPoP proof signature is invalid.');
    }
    const c = jws.payload;
    if (typeof c.jti !== 'string' || c.jti.length === 0 || c.jti.length > MAX_JTI_LENGTH) {
      throw new DpopProofError('The DPoP proof has no valid "jti".');
    }
    if (typeof c.htm !== 'string' || c.htm !== rules.method.toUpperCase()) {
      throw new DpopProofError('The DPoP proof "htm" does not match the request method.');
    }
    const htu = normalizeHtu(c.htu);
    if (htu === null || htu !== normalizeHtu(rules.url)) {
      throw new DpopProofError('The DPoP proof "htu" does not match the request URI.');
    }
    const now = rules.now ?? Date.now() / 1000;
    if (typeof c.iat !== 'number' || !Number.isFinite(c.iat)) throw new DpopProofError('The DPoP proof has no "iat".');
    if (c.iat > now + rules.clockToleranceS) throw new DpopProofError('The DPoP proof was issued in the future.');
    if (c.iat < now - rules.maxAgeS - rules.clockToleranceS) throw new DpopProofError('The DPoP proof is too old.');
    if (rules.accessToken !== undefined) {
      if (typeof c.ath !== 'string' || c.ath !== accessTokenHash(rules.accessToken)) {
        throw new DpopProofError('The DPoP proof "ath" does not match the access token.');
      }
    }
    if (c.nonce !== undefined && (typeof c.nonce !== 'string' || c.nonce.length > 512)) {
      throw new DpopProofError('The DPoP proof "nonce" is malformed.');
    }
    return {
      jkt: header.jkt,
      jti: c.jti,
      iat: c.iat,
      htm: c.htm,
      htu,
      alg: header.alg,
      ...(c.nonce !== undefined ? { nonce: c.nonce as string } : {}),
    };
  }

  private checkHeader(segment: string, h: Record<string, unknown>): CheckedHeader {
    if (h.typ !== DPOP_PROOF_TYP) throw new DpopProofError('The DPoP proof "typ" must be dpop+jwt.');
    if (!isAsymmetricJwsAlg(h.alg)) {
      throw new DpopProofError('The DPoP proof must be signed with RS256, PS256, ES256 or EdDSA.');
    }
    // RFC 7515 §4.1.11: extensions we do not understand make the JWS invalid.
    if (h.crit !== undefined) throw new DpopProofError('The DPoP proof header has critical extensions.');
    let key: KeyObject;
    let jkt: string;
    try {
      key = importPublicJwk(h.jwk, h.alg);
      jkt = jwkThumbprint(h.jwk as Record<string, unknown>);
    } catch (err) {
      const why = err instanceof JwkError ? err.message : 'is not a valid public key';
      throw new DpopProofError(`The DPoP proof "jwk" ${why}.`);
    }
    const checked = { alg: h.alg, key, jkt };
    if (this.headers.size >= HEADER_CACHE_MAX) this.headers.clear();
    this.headers.set(segment, checked);
    return checked;
  }
}

/**
 * RFC 9449 §4.2 `ath`: base64url(SHA-256(the access token's ASCII)).
 *
 * @example
 * ```ts
 * const proofClaims = { htm: 'GET', htu, iat, jti, ath: accessTokenHash(accessToken) };
 * ```
 */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}
