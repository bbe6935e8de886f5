-- The sign-in experience (docs/sign-in-experience.md): second factors for users, passkeys
-- for users and administrators, per-org sign-in settings, and branding per org and per app.
-- Reset links, sign-up verification links, invitations, the user `mfa_token` and WebAuthn
-- challenges are interactions of the existing store (sign_in_interactions), so no table
-- here holds a one-time handle.

-- Users: whether their address is verified, and TOTP like the administrators'.
-- Existing users' addresses were never verified, so they start unverified. (The browser
-- sign-in migration, which runs first, adds the same column for the OIDC claim.)
ALTER TABLE "users"
  ADD COLUMN IF NOT EXISTS "email_verified" BOOLEAN NOT NULL DEFAULT false,
  ADD COLUMN "totp_secret_enc" TEXT,
  ADD COLUMN "mfa_active" BOOLEAN NOT NULL DEFAULT false,
  ADD COLUMN "totp_last_step" BIGINT;

-- A user's one-time recovery codes (keyed hashes), like the administrators' recovery_codes.
CREATE TABLE "user_recovery_codes" (
  "id" TEXT PRIMARY KEY,
  "user_id" TEXT NOT NULL,
  "code_hash" TEXT NOT NULL,
  "used_at" TIMESTAMPTZ(3),
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "user_recovery_codes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id")
    ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "user_recovery_codes_user_id_idx" ON "user_recovery_codes" ("user_id");

-- WebAuthn credentials. Exactly one owner: a user (with its org) or an administrator.
-- `credential_id` is the authenticator's credential ID (base64url), unique across Gatehouse
-- because one RP ID serves every org.
CREATE TABLE "passkeys" (
  "id" TEXT PRIMARY KEY,
  "user_id" TEXT,
  "org_id" TEXT,
  "admin_id" TEXT,
  "credential_id" TEXT NOT NULL,
  "public_key" BYTEA NOT NULL,
  "counter" BIGINT NOT NULL DEFAULT 0,
  "transports" TEXT[] NOT NULL DEFAULT '{}',
  "device_type" TEXT NOT NULL,
  "backed_up" BOOLEAN NOT NULL DEFAULT false,
  "name" TEXT NOT NULL,
  "last_used_at" TIMESTAMPTZ(3),
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "passkeys_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id")
    ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT "passkeys_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id")
    ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT "passkeys_admin_id_fkey" FOREIGN KEY ("admin_id") REFERENCES "administrators"("id")
    ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT "passkeys_one_owner" CHECK (
    ("user_id" IS NOT NULL AND "org_id" IS NOT NULL AND "admin_id" IS NULL)
    OR ("user_id" IS NULL AND "org_id" IS NULL AND "admin_id" IS NOT NULL))
);
CREATE UNIQUE INDEX "passkeys_credential_id_key" ON "passkeys" ("credential_id");
CREATE INDEX "passkeys_user_id_idx" ON "passkeys" ("user_id");
CREATE INDEX "passkeys_admin_id_idx" ON "passkeys" ("admin_id");

-- Per-org sign-in settings. No row means the defaults (the CHECKs and DEFAULTs below).
CREATE TABLE "org_sign_in_settings" (
  "org_id" TEXT PRIMARY KEY,
  "passkeys" TEXT NOT NULL DEFAULT 'optional',
  "mfa" TEXT NOT NULL DEFAULT 'optional',
  "signup" TEXT NOT NULL DEFAULT 'off',
  "signup_domains" TEXT[] NOT NULL DEFAULT '{}',
  "default_locale" TEXT NOT NULL DEFAULT 'en',
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "org_sign_in_settings_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id")
    ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT "org_sign_in_settings_passkeys" CHECK ("passkeys" IN ('off', 'optional', 'required')),
  CONSTRAINT "org_sign_in_settings_mfa" CHECK ("mfa" IN ('off', 'optional', 'required')),
  CONSTRAINT "org_sign_in_settings_signup" CHECK ("signup" IN ('off', 'open', 'domains'))
);

-- Branding: one row per org (app_id NULL) and one per app that overrides it. Unset fields
-- fall through app → org → default. The logo's bytes are stored here and served by
-- Gatehouse from its own origin.
CREATE TABLE "brandings" (
  "id" TEXT PRIMARY KEY,
  "org_id" TEXT NOT NULL,
  "app_id" TEXT,
  "display_name" TEXT,
  "primary_color" TEXT,
  "logo" BYTEA,
  "logo_type" TEXT,
  "logo_sha256" TEXT,
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "brandings_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id")
    ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT "brandings_app_id_fkey" FOREIGN KEY ("app_id") REFERENCES "applications"("id")
    ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "brandings_org_id_app_id_key" ON "brandings" ("org_id", "app_id") NULLS NOT DISTINCT;
