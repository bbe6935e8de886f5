import type { SignInSettings } from '@gatehouse/core';

/** A second factor a user may present (docs/sign-in-experience.md#second-factors). */
export type SecondFactor = 'totp' | 'recovery_code' | 'passkey';

/** What the sign-in asks after the first factor. */
export type SecondFactorStep =
  { step: 'none' } | { step: 'verify'; methods: SecondFactor[] } | { step: 'enrol'; methods: ('totp' | 'passkey')[] };

/**
 * The second-factor rule (docs/sign-in-experience.md#second-factors), pure so its table is
 * tested as a table:
 * - a passkey as first factor is verified with user verification, so it is already two
 *   factors (`hwk` + `user`): nothing more is asked;
 * - after a password, an org with `passkeys: required` asks for a passkey (or, when the
 *   user has none, that one is registered) whatever its MFA setting;
 * - with `mfa: off` nothing more is asked;
 * - otherwise the user's own factors are asked for (TOTP and its recovery codes; passkeys
 *   unless the org turned them off), and with `mfa: required` a user with none enrols.
 */
export function secondFactorStep(
  settings: Pick<SignInSettings, 'mfa' | 'passkeys'>,
  user: { mfaActive: boolean; passkeys: number },
  firstFactor: 'pwd' | 'passkey',
): SecondFactorStep {
  if (firstFactor === 'passkey') return { step: 'none' };
  if (settings.passkeys === 'required') {
    return user.passkeys > 0 ? { step: 'verify', methods: ['passkey'] } : { step: 'enrol', methods: ['passkey'] };
  }
  if (settings.mfa === 'off') return { step: 'none' };
  const methods: SecondFactor[] = [];
  if (user.mfaActive) methods.push('totp', 'recovery_code');
  if (settings.passkeys !== 'off' && user.passkeys > 0) methods.push('passkey');
  if (methods.length > 0) return { step: 'verify', methods };
  if (settings.mfa === 'required') {
    return { step: 'enrol', methods: settings.passkeys === 'off' ? ['totp'] : ['totp', 'passkey'] };
  }
  return { step: 'none' };
}
