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
  'org.created',
  'org.updated',
  'org.deleted',
  'app.created',
  'app.updated',
  'app.deleted',
  'app.secret.created',
  'user.created',
  'user.updated',
  'user.deleted',
  'key.created',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];
