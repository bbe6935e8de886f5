import fc from 'fast-check';
import { FACTOR_POLICIES } from '@gatehouse/core';
import { secondFactorStep } from './second-factor';

describe('secondFactorStep', () => {
  const s = (mfa: 'off' | 'optional' | 'required', passkeys: 'off' | 'optional' | 'required') => ({ mfa, passkeys });

  it('follows the table of docs/sign-in-experience.md#second-factors', () => {
    expect(secondFactorStep(s('optional', 'optional'), { mfaActive: false, passkeys: 0 }, 'pwd')).toEqual({
      step: 'none',
    });
    expect(secondFactorStep(s('optional', 'optional'), { mfaActive: true, passkeys: 1 }, 'pwd')).toEqual({
      step: 'verify',
      methods: ['totp', 'recovery_code', 'passkey'],
    });
    expect(secondFactorStep(s('optional', 'off'), { mfaActive: false, passkeys: 2 }, 'pwd')).toEqual({ step: 'none' });
    expect(secondFactorStep(s('off', 'optional'), { mfaActive: true, passkeys: 1 }, 'pwd')).toEqual({ step: 'none' });
    expect(secondFactorStep(s('required', 'optional'), { mfaActive: false, passkeys: 0 }, 'pwd')).toEqual({
      step: 'enrol',
      methods: ['totp', 'passkey'],
    });
    expect(secondFactorStep(s('required', 'off'), { mfaActive: false, passkeys: 0 }, 'pwd')).toEqual({
      step: 'enrol',
      methods: ['totp'],
    });
    expect(secondFactorStep(s('off', 'required'), { mfaActive: true, passkeys: 0 }, 'pwd')).toEqual({
      step: 'enrol',
      methods: ['passkey'],
    });
    expect(secondFactorStep(s('optional', 'required'), { mfaActive: true, passkeys: 1 }, 'pwd')).toEqual({
      step: 'verify',
      methods: ['passkey'],
    });
  });

  it('never lets a password alone through where a factor is required, and never asks more of a passkey', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FACTOR_POLICIES),
        fc.constantFrom(...FACTOR_POLICIES),
        fc.boolean(),
        fc.nat(3),
        (mfa, passkeys, mfaActive, count) => {
          const pwd = secondFactorStep({ mfa, passkeys }, { mfaActive, passkeys: count }, 'pwd');
          if (mfa === 'required' || passkeys === 'required') expect(pwd.step).not.toBe('none');
          if (passkeys === 'required' && pwd.step !== 'none') expect(pwd.methods).toEqual(['passkey']);
          if (passkeys === 'off' && pwd.step !== 'none') expect(pwd.methods).not.toContain('passkey');
          expect(secondFactorStep({ mfa, passkeys }, { mfaActive, passkeys: count }, 'passkey')).toEqual({
            step: 'none',
          });
        },
      ),
    );
  });
});
