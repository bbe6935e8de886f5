-- Clients that register themselves (docs/client-registration.md).
--
-- Dynamic client registration (RFC 7591): a client registered at /oauth/register is not bound
-- to an organization (the registration request cannot name one); an organization admits it
-- when its policy has dynamic registration on, at the sign-in whose resource names the
-- organization. The registration access token (RFC 7592) and a confidential client's secret
-- are stored only as keyed hashes. `last_used_at` drives the expiry of unused clients.
CREATE TABLE "dynamic_clients" (
  "id" TEXT PRIMARY KEY,
  "client_name" TEXT NOT NULL,
  "application_type" TEXT NOT NULL CHECK ("application_type" IN ('web', 'native')),
  "redirect_uris" TEXT[] NOT NULL,
  "grant_types" TEXT[] NOT NULL,
  "token_endpoint_auth_method" TEXT NOT NULL
    CHECK ("token_endpoint_auth_method" IN ('none', 'client_secret_basic', 'client_secret_post')),
  -- The other RFC 7591 §2 members the client sent and Gatehouse kept (client_uri, logo_uri, …).
  "metadata" JSONB NOT NULL DEFAULT '{}'::jsonb,
  "secret_hash" TEXT,
  "registration_token_hash" TEXT NOT NULL,
  "registered_from" TEXT,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "last_used_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX "dynamic_clients_last_used_at_idx" ON "dynamic_clients" ("last_used_at");

-- The self-registered clients (metadata documents and dynamic registrations) an organization
-- has seen sign-ins from, with the consent its users gave and an administrator's block.
-- A block may be set before the client was ever seen.
CREATE TABLE "org_external_clients" (
  "org_id" TEXT NOT NULL REFERENCES "organizations" ("id") ON DELETE CASCADE,
  "client_id" TEXT NOT NULL,
  "kind" TEXT NOT NULL CHECK ("kind" IN ('metadata_document', 'dynamic')),
  "client_name" TEXT,
  "redirect_uris" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
  "document_hash" TEXT,
  "first_seen_at" TIMESTAMPTZ(3),
  "last_seen_at" TIMESTAMPTZ(3),
  "consented_at" TIMESTAMPTZ(3),
  "blocked_at" TIMESTAMPTZ(3),
  "blocked_by" TEXT,
  PRIMARY KEY ("org_id", "client_id")
);

-- RFC 7591 clients other than public ones (a secret) only where the organization allows them.
ALTER TABLE "client_registration_policies"
  ADD COLUMN "dcr_allow_confidential" BOOLEAN NOT NULL DEFAULT false;
