/**
 * Principal liveness, the one rule (docs/architecture.md#principal-liveness): a token, a
 * refresh, a sign-in or a client authentication is only as alive as what it names. An
 * application is live while it exists, is enabled and belongs to the organization the
 * token names; a user likewise, and a user's token also needs its application live. An
 * organization that is deleted takes its apps and users with it (ON DELETE CASCADE), so a
 * missing org shows as a missing app or user.
 *
 * Pure: each caller reads the rows its own way (a cached client record, one SQL round trip
 * on the bearer path, a Prisma read inside a transaction) and asks this function.
 */
export interface LiveCandidate {
  orgId: string;
  disabled: boolean;
}

export type Liveness = { live: true } | { live: false; reason: LivenessFailure };

export type LivenessFailure =
  | 'application unknown'
  | 'application disabled'
  | 'application of another organization'
  | 'user unknown'
  | 'user disabled'
  | 'user of another organization';

const LIVE: Liveness = Object.freeze({ live: true });

export function appLiveness(app: LiveCandidate | null | undefined, orgId: string | undefined): Liveness {
  if (!app) return { live: false, reason: 'application unknown' };
  if (orgId === undefined || app.orgId !== orgId) return { live: false, reason: 'application of another organization' };
  if (app.disabled) return { live: false, reason: 'application disabled' };
  return LIVE;
}

/** A user acting through one of its org's applications (sign-in, refresh, user tokens). */
export function userLiveness(
  user: LiveCandidate | null | undefined,
  app: LiveCandidate | null | undefined,
  orgId: string | undefined,
): Liveness {
  if (!user) return { live: false, reason: 'user unknown' };
  if (orgId === undefined || user.orgId !== orgId) return { live: false, reason: 'user of another organization' };
  if (user.disabled) return { live: false, reason: 'user disabled' };
  return appLiveness(app, orgId);
}
