/**
 * The closed table of sign-in interaction kinds (docs/architecture.md#sign-in-interactions).
 * Each kind's handle carries a prefix of its own, so secret scanners can tell them apart
 * and a handle of one kind is never looked up as another; its keyed hash is derived for
 * a purpose of its own, so the hash of one kind's handle says nothing about another's.
 * The first two kinds keep the purposes of the tables they replaced, so the rows moved
 * across by the migration stay reachable by the handles already handed out.
 */
export const INTERACTION_KINDS = {
  /** Admin sign-in between the password and the second factor: the `mfa_token`. */
  admin_mfa: { handlePrefix: 'ghc', hashPurpose: 'mfa-challenge' },
  /** User sign-in stopped only by an unaccepted policy: the `policy_token` (docs/control.md#policy). */
  user_policy: { handlePrefix: 'gha', hashPurpose: 'policy-challenge' },
  /** User sign-in between the first factor and the second: the user `mfa_token` (docs/sign-in-experience.md#mfa-for-users). */
  user_mfa: { handlePrefix: 'ghu', hashPurpose: 'user-mfa' },
  /** The link of a password reset email (docs/sign-in-experience.md#password-reset). */
  password_reset: { handlePrefix: 'ghp', hashPurpose: 'password-reset' },
  /** The link of a sign-up verification email (docs/sign-in-experience.md#self-sign-up). */
  signup_verification: { handlePrefix: 'ghv', hashPurpose: 'signup-verification' },
  /** The link of an invitation email (docs/sign-in-experience.md#invitations). */
  invitation: { handlePrefix: 'ghn', hashPurpose: 'invitation' },
  /** A WebAuthn ceremony's challenge (docs/sign-in-experience.md#passkeys). */
  webauthn: { handlePrefix: 'ghw', hashPurpose: 'webauthn-challenge' },
  /**
   * A browser sign-in for an authorization request (docs/sign-in.md#the-flow): parked by
   * `/oauth/authorize`, carried by the hosted pages in an HttpOnly cookie, consumed when the
   * code is issued or the request is refused.
   */
  authorization: { handlePrefix: 'ghi', hashPurpose: 'authorization-interaction' },
} as const satisfies Record<string, { handlePrefix: string; hashPurpose: string }>;

export type InteractionKind = keyof typeof INTERACTION_KINDS;

/** The steps an interaction can record as done; `amr` and the next page are derived from them. */
export type SignInStep =
  'password' | 'mfa' | 'mfa_setup' | 'policy' | 'passkey' | 'identify' | 'consent' | 'passkey_setup' | 'passkey_offer';

/** Whether `value` has the shape of a handle of `kind` (its prefix), before anything is looked up. */
export function isHandleOf(kind: InteractionKind, value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(`${INTERACTION_KINDS[kind].handlePrefix}_`);
}
