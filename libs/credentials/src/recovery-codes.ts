import { randomInt } from 'node:crypto';

/** Ten one-time recovery codes of 10 characters from a 31-letter alphabet without
 * look-alikes (about 49 bits each), shown once and stored as keyed hashes. */
export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    let s = '';
    for (let i = 0; i < 10; i++) s += ALPHABET[randomInt(ALPHABET.length)];
    return `${s.slice(0, 5)}-${s.slice(5)}`;
  });
}

/** Users type codes loosely: case, spaces and dashes do not matter. */
export function normaliseRecoveryCode(code: string): string {
  const c = code.toLowerCase().replace(/[\s-]/g, '');
  return c.length === 10 ? `${c.slice(0, 5)}-${c.slice(5)}` : c;
}

export function looksLikeRecoveryCode(code: string): boolean {
  return /^[a-z0-9]{5}-[a-z0-9]{5}$/.test(normaliseRecoveryCode(code));
}
