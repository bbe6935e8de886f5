import { VerifierError, type VerifierErrorCode, type VerifierErrorOptions } from '../errors';

/** What a `WWW-Authenticate: DPoP` challenge carries besides the error (RFC 9449 §7.1). */
export interface DpopChallenge {
  /** The `algs` attribute: the proof algorithms the server accepts. */
  algs: readonly string[];
  /** A fresh server nonce, sent as `DPoP-Nonce` (RFC 9449 §9). */
  nonce?: string;
  /** Also challenge for `Bearer` (a server that takes both kinds of token). */
  bearer?: boolean;
}

/**
 * A refusal of a request made (or to be made) with the DPoP scheme. It is a
 * {@link VerifierError}, so code that answers those answers this one too, with the DPoP
 * challenge instead of the Bearer one: `WWW-Authenticate: DPoP algs="…", error="…"` and a
 * `DPoP-Nonce` header when the server wants a nonce.
 *
 * @example
 * ```ts
 * if (err instanceof VerifierError) res.writeHead(err.status, err.responseHeaders('api')).end(JSON.stringify(err));
 * ```
 */
export class DpopError extends VerifierError {
  readonly challenge: DpopChallenge;

  constructor(code: VerifierErrorCode, description: string, challenge: DpopChallenge, options?: VerifierErrorOptions) {
    super(code, description, options);
    this.name = 'DpopError';
    this.challenge = challenge;
  }

  /** A token-level refusal (expired, revoked, …) of a DPoP request, answered with the DPoP challenge. */
  static from(err: VerifierError, challenge: DpopChallenge): DpopError {
    if (err instanceof DpopError) return err;
    return new DpopError(err.code, err.description, challenge, {
      scope: err.scope,
      headers: err.headers,
      internal: err.internal,
      members: err.members,
    });
  }

  override wwwAuthenticate(realm?: string): string | undefined {
    if (this.status !== 401 && this.status !== 403 && this.status !== 400) return undefined;
    const params: string[] = [];
    if (realm) params.push(`realm="${quotable(realm)}"`);
    if (this.bearerError) {
      params.push(`error="${this.bearerError}"`, `error_description="${quotable(this.description)}"`);
    }
    if (this.scope) params.push(`scope="${quotable(this.scope)}"`);
    params.push(`algs="${this.challenge.algs.join(' ')}"`);
    const dpop = `DPoP ${params.join(', ')}`;
    return this.challenge.bearer ? `${dpop}, Bearer${realm ? ` realm="${quotable(realm)}"` : ''}` : dpop;
  }

  override responseHeaders(realm?: string): Record<string, string> {
    return {
      ...super.responseHeaders(realm),
      ...(this.challenge.nonce ? { 'DPoP-Nonce': this.challenge.nonce } : {}),
    };
  }
}

/** RFC 6750 §3: quoted values use %x20-21 / %x23-5B / %x5D-7E only. */
function quotable(s: string): string {
  return s.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '');
}
