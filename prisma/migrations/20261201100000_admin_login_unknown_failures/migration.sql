-- Failed admin sign-ins for emails that name no administrator, counted with the same
-- back-off and lockout as real accounts (docs/architecture.md#admin-sign-in), so that the
-- answers do not tell an administrator's email from any other. Keyed by a keyed hash of
-- the normalised email: nothing an attacker typed is stored as typed.
CREATE TABLE "admin_login_unknown_failures" (
  "email_hash" TEXT PRIMARY KEY,
  "failed_attempts" INTEGER NOT NULL,
  "locked_until" TIMESTAMPTZ(3),
  "updated_at" TIMESTAMPTZ(3) NOT NULL
);
