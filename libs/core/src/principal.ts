/** The authenticated caller of a request, as the bearer guard resolves it from live state. */
export type Tier = 'admin' | 'app' | 'user';

export interface AdminPrincipal {
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
  tier: 'app';
  id: string;
  orgId: string;
  orgName: string;
  scopes: string[];
  jti: string;
}

export interface UserPrincipal {
  tier: 'user';
  id: string;
  orgId: string;
  orgName: string;
  clientId: string;
  scopes: string[];
  jti: string;
}

export type Principal = AdminPrincipal | AppPrincipal | UserPrincipal;

/** Scope carried by a full admin session; an enrolment-only token carries only `mfa:enroll`. */
export const ADMIN_SCOPE = 'admin';
export const MFA_ENROLL_SCOPE = 'mfa:enroll';
