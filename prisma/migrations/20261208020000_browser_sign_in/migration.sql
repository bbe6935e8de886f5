-- Browser sign-in (docs/sign-in.md): clients that sign people in, the authorization code,
-- the browser session and remembered consent.

-- Public clients authenticate with `none` (RFC 7591 §2): the named CHECK of
-- 20261207120000_client_keys_dpop is replaced, as that migration foresaw.
ALTER TABLE "applications" DROP CONSTRAINT "applications_token_endpoint_auth_method_check";
ALTER TABLE "applications" ADD CONSTRAINT "applications_token_endpoint_auth_method_check"
  CHECK ("token_endpoint_auth_method" IN ('client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'));

-- docs/sign-in.md#clients. `password_login` is true for every app that exists today, so the
-- legacy password endpoint keeps working for them; the API creates new apps with false.
ALTER TABLE "applications"
  ADD COLUMN "redirect_uris" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
  ADD COLUMN "post_logout_redirect_uris" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
  ADD COLUMN "client_type" TEXT NOT NULL DEFAULT 'confidential',
  ADD COLUMN "require_pkce" BOOLEAN NOT NULL DEFAULT true,
  ADD COLUMN "consent" TEXT NOT NULL DEFAULT 'required',
  ADD COLUMN "logo_uri" TEXT,
  ADD COLUMN "client_uri" TEXT,
  ADD COLUMN "policy_uri" TEXT,
  ADD COLUMN "tos_uri" TEXT,
  ADD COLUMN "password_login" BOOLEAN NOT NULL DEFAULT true,
  ADD CONSTRAINT "applications_client_type_check" CHECK ("client_type" IN ('confidential', 'public')),
  ADD CONSTRAINT "applications_consent_check" CHECK ("consent" IN ('required', 'first_party')),
  -- A public client has no secret to authenticate with and always uses PKCE (OAuth 2.1 §7.5.1).
  ADD CONSTRAINT "applications_public_client_check"
    CHECK ("client_type" = 'confidential' OR ("token_endpoint_auth_method" = 'none' AND "require_pkce"));
ALTER TABLE "applications" ALTER COLUMN "password_login" SET DEFAULT false;

-- OpenID Connect standard claims (OIDC Core §5.1).
ALTER TABLE "users"
  ADD COLUMN "name" TEXT,
  ADD COLUMN "given_name" TEXT,
  ADD COLUMN "family_name" TEXT,
  ADD COLUMN "locale" TEXT,
  ADD COLUMN "email_verified" BOOLEAN NOT NULL DEFAULT false;

-- The browser session (docs/sign-in.md#the-session): the cookie holds a random handle, stored
-- here only as a keyed hash.
CREATE TABLE "browser_sessions" (
  "id" TEXT PRIMARY KEY,
  "cookie_hash" TEXT NOT NULL UNIQUE,
  "user_id" TEXT NOT NULL,
  "org_id" TEXT NOT NULL REFERENCES "organizations"("id") ON DELETE CASCADE,
  "auth_time" TIMESTAMPTZ(3) NOT NULL,
  "amr" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
  "last_seen_at" TIMESTAMPTZ(3) NOT NULL,
  "expires_at" TIMESTAMPTZ(3) NOT NULL,
  "ended_at" TIMESTAMPTZ(3),
  "ended_why" TEXT,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "browser_sessions_user_id_idx" ON "browser_sessions"("user_id");

-- Authorization codes (RFC 6749 §4.1.2; docs/sign-in.md#codes): a keyed hash, single use,
-- bound to everything the token request must repeat or inherit. What a redemption issued is
-- recorded, so a second use revokes it (§4.1.2: SHOULD revoke).
CREATE TABLE "authorization_codes" (
  "id" TEXT PRIMARY KEY,
  "code_hash" TEXT NOT NULL UNIQUE,
  "client_id" TEXT NOT NULL,
  "org_id" TEXT NOT NULL REFERENCES "organizations"("id") ON DELETE CASCADE,
  "user_id" TEXT NOT NULL,
  "redirect_uri" TEXT NOT NULL,
  "code_challenge" TEXT,
  "code_challenge_method" TEXT,
  "nonce" TEXT,
  "scope" TEXT NOT NULL,
  "resource" TEXT,
  "auth_time" TIMESTAMPTZ(3) NOT NULL,
  "sid" TEXT NOT NULL,
  "amr" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
  "expires_at" TIMESTAMPTZ(3) NOT NULL,
  "consumed_at" TIMESTAMPTZ(3),
  "issued_jti" TEXT,
  "issued_family_id" TEXT,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "authorization_codes_expires_at_idx" ON "authorization_codes"("expires_at");

-- Consent remembered per user × client × resource ('' for none), for a set of scopes
-- (docs/sign-in.md#consent).
CREATE TABLE "consents" (
  "id" TEXT PRIMARY KEY,
  "org_id" TEXT NOT NULL REFERENCES "organizations"("id") ON DELETE CASCADE,
  "user_id" TEXT NOT NULL,
  "client_id" TEXT NOT NULL,
  "resource" TEXT NOT NULL DEFAULT '',
  "scopes" TEXT[] NOT NULL,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  CONSTRAINT "consents_user_client_resource_key" UNIQUE ("user_id", "client_id", "resource")
);
