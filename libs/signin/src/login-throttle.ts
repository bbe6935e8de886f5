import type { Tx } from '@gatehouse/db';

/**
 * Back-off and lockout for admin sign-in, counted per account in Postgres so every
 * instance sees the same count. Password and MFA failures both count, and only a full
 * sign-in (password + second factor) resets the count, so knowing the password does not
 * buy unlimited guesses at the second factor.
 */
export const LOCK_AFTER_FAILURES = 5;
export const LOCK_SECONDS = 15 * 60;

/** Seconds the account waits after its `failures`-th consecutive failure (0: none). */
export function backoffSeconds(failures: number): number {
  if (failures >= LOCK_AFTER_FAILURES) return LOCK_SECONDS;
  if (failures >= 3) return 2 ** (failures - 3);
  return 0;
}

export function secondsLocked(lockedUntil: Date | null, now: Date): number {
  if (!lockedUntil) return 0;
  return Math.max(0, Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000));
}

/** Counts one failure atomically and returns the new count and any lock it sets. */
export async function recordFailure(
  tx: Tx,
  adminId: string,
  now: Date,
): Promise<{ failures: number; lockedForS: number }> {
  const rows = await tx.$queryRaw<{ failed_attempts: number }[]>`
    UPDATE administrators SET failed_attempts = failed_attempts + 1 WHERE id = ${adminId} RETURNING failed_attempts`;
  const failures = rows[0]?.failed_attempts ?? 0;
  const lockedForS = backoffSeconds(failures);
  if (lockedForS > 0) {
    await tx.administrator.update({
      where: { id: adminId },
      data: { lockedUntil: new Date(now.getTime() + lockedForS * 1000) },
    });
  }
  return { failures, lockedForS };
}
