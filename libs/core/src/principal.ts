import type { Tier } from '@gatehouse/verifier';

/** Which kind of principal (docs/design.md §2); declared once, with the public claim types. */
export type { Tier };

/** Requests a token may make per window (docs/design.md §6; the app's `rate_limit`). */
export interface TokenRateLimit {
  requests: number;
  perSeconds: number;
}

/** Admin tokens have no app; they get the platform default of 600 requests a minute. */
export const DEFAULT_TOKEN_RATE_LIMIT: TokenRateLimit = { requests: 600, perSeconds: 60 };

export interface AdminPrincipal {
  rateLimit: TokenRateLimit;
  tier: 'admin';
  id: string;
  role: 'platform' | 'org';
  /** Orgs an org admin administers; empty for platform admins, who reach all. */
  orgIds: string[];
  scopes: string[];
  jti: string;
  email: string;
}

export interface AppPrincipal {
  rateLimit: TokenRateLimit;
  tier: 'app';
  id: string;
  orgId: string;
  orgName: string;
  scopes: string[];
  jti: string;
  /** A step token's `step` and actor chain (outermost first), for the access gate. */
  step?: string;
  actors?: string[];
}

export interface UserPrincipal {
  rateLimit: TokenRateLimit;
  tier: 'user';
  id: string;
  orgId: string;
  orgName: string;
  clientId: string;
  scopes: string[];
  jti: string;
  /** RFC 9068 §2.2.1: when the user signed in (epoch seconds); absent on tokens minted before it existed. */
  authTime?: number;
  /** A step token's `step` and actor chain (outermost first), for the access gate. */
  step?: string;
  actors?: string[];
}

export type Principal = AdminPrincipal | AppPrincipal | UserPrincipal;

/** Scope carried by a full admin session; an enrolment-only token carries only `mfa:enroll`. */
export const ADMIN_SCOPE = 'admin';
export const MFA_ENROLL_SCOPE = 'mfa:enroll';
