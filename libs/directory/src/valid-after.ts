import type { Prisma, Tx } from '@gatehouse/db';

/**
 * Writes (or moves forward) the "valid after" mark of an org, app, user or administrator:
 * tokens it issued up to `at` are dead (AccessTokenVerifier, and offline verifiers through
 * the revocation feed). Call inside the transaction of the change; mirror it to Redis with
 * TokenRevocationService.mirrorValidAfter after the commit.
 */
export async function writeValidAfter(tx: Tx, subjectId: string, orgId: string | null, at: Date): Promise<void> {
  await tx.$executeRaw`INSERT INTO principal_revocations (subject_id, valid_after, org_id) VALUES (${subjectId}, ${at}, ${orgId})
    ON CONFLICT (subject_id) DO UPDATE SET valid_after = GREATEST(principal_revocations.valid_after, EXCLUDED.valid_after)`;
}

/**
 * The mark plus the end of every live refresh family the subject's sessions hang on, so
 * no refresh token can mint a token after it: `families` picks them (by subject, client…).
 */
export async function endSessions(
  tx: Tx,
  subjectId: string,
  orgId: string | null,
  at: Date,
  families: Prisma.RefreshFamilyWhereInput,
  why: string,
): Promise<number> {
  await writeValidAfter(tx, subjectId, orgId, at);
  const ended = await tx.refreshFamily.updateMany({
    where: { ...families, revokedAt: null },
    data: { revokedAt: at, revokedWhy: why },
  });
  return ended.count;
}
