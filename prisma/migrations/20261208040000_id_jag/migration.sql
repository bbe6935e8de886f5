-- Enterprise-managed authorization, the Identity Assertion JWT Authorization Grant (ID-JAG,
-- draft-ietf-oauth-identity-assertion-authz-grant; docs/id-jag.md).

-- Gatehouse as the resource authorization server: the identity providers an organization
-- trusts to vouch for its users, with their public keys (inline, or fetched from jwks_uri
-- through the guarded fetcher; never both) and the apps that may present their grants.
CREATE TABLE "trusted_issuers" (
    "id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "jwks" JSONB,
    "jwks_uri" TEXT,
    "allowed_clients" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "trusted_issuers_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "trusted_issuers_one_key_source_check" CHECK (("jwks" IS NULL) <> ("jwks_uri" IS NULL))
);
CREATE UNIQUE INDEX "trusted_issuers_org_id_issuer_key" ON "trusted_issuers"("org_id", "issuer");
ALTER TABLE "trusted_issuers" ADD CONSTRAINT "trusted_issuers_org_id_fkey"
    FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A user of the organization as a trusted issuer knows them: (issuer, sub) -> user, made
-- the first time a grant's verified email matched the user. One subject per issuer and user.
CREATE TABLE "federated_identities" (
    "org_id" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "federated_identities_pkey" PRIMARY KEY ("org_id", "issuer", "subject")
);
CREATE UNIQUE INDEX "federated_identities_org_id_issuer_user_id_key" ON "federated_identities"("org_id", "issuer", "user_id");
CREATE INDEX "federated_identities_user_id_idx" ON "federated_identities"("user_id");
ALTER TABLE "federated_identities" ADD CONSTRAINT "federated_identities_org_id_fkey"
    FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "federated_identities" ADD CONSTRAINT "federated_identities_user_id_fkey"
    FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Gatehouse as the identity provider: the other authorization servers an organization lets
-- its apps obtain ID-JAGs for, the client_id each of its apps has there, and the scopes the
-- organization lets them assert.
CREATE TABLE "id_jag_audiences" (
    "id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "clients" JSONB NOT NULL DEFAULT '[]',
    "scopes" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "id_jag_audiences_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "id_jag_audiences_org_id_issuer_key" ON "id_jag_audiences"("org_id", "issuer");
ALTER TABLE "id_jag_audiences" ADD CONSTRAINT "id_jag_audiences_org_id_fkey"
    FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
