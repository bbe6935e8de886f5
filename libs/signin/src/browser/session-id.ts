import { randomBytes } from 'node:crypto';

/** A session's `sid` (OIDC Front-Channel Logout §3): opaque, unguessable, not the cookie. */
export function newSessionId(): string {
  return `sid_${randomBytes(16).toString('base64url')}`;
}
