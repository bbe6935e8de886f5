/**
 * Stable audit action names (docs/audit-events.md lists them with their meaning).
 * Clients filter on these; renaming one is a breaking change.
 */
export const AUDIT_ACTIONS = [
  'admin.created',
  'admin.login.password',
  'admin.login.mfa',
  'admin.login.locked',
  'admin.mfa.enrolled',
  'admin.mfa.activated',
  'admin.recovery_code.used',
  'admin.logout',
  'token.issued',
  'token.refreshed',
  'token.refresh_reuse_detected',
  'token.exchanged',
  'token.revoked',
  'token.introspected',
  'token.rejected',
  'access.denied',
  'access.review',
  'principal.tokens_revoked',
  'ratelimit.refused',
  'user.login',
  'org.created',
  'org.updated',
  'org.deleted',
  'app.created',
  'app.updated',
  'app.permissions.changed',
  'app.deleted',
  'app.secret.created',
  'app.secret.revoked',
  'user.created',
  'user.updated',
  'user.deleted',
  'key.created',
  'key.rotated',
  'key.revoked',
  'key.expired',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];
