-- Token exchange (RFC 8693; docs/design.md §3, docs/architecture.md#token-exchange).
-- delegates: the apps that may exchange this app's tokens (placed as `may_act` in them).
-- step_token_ttl_s: the longest a step token exchanged by this app may live (≤ 600 s).
ALTER TABLE "applications" ADD COLUMN "delegates" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];
ALTER TABLE "applications" ADD COLUMN "step_token_ttl_s" INTEGER NOT NULL DEFAULT 120;

-- Every exchanged token and the token it came from, so that revoking a token, an app or a
-- key also revokes, by jti, everything exchanged from what it kills, transitively
-- (docs/architecture.md#token-exchange). A row may go once its token has expired.
CREATE TABLE "token_lineage" (
  "jti" TEXT PRIMARY KEY,
  "parent_jti" TEXT NOT NULL,
  "kid" TEXT NOT NULL,
  "client_id" TEXT NOT NULL,
  "org_id" TEXT NOT NULL,
  "issued_at" TIMESTAMPTZ(3) NOT NULL,
  "expires_at" TIMESTAMPTZ(3) NOT NULL,
  "parent_kid" TEXT NOT NULL,
  "parent_client_id" TEXT,
  "parent_issued_at" TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX "token_lineage_parent_jti_idx" ON "token_lineage" ("parent_jti");
CREATE INDEX "token_lineage_client_id_idx" ON "token_lineage" ("client_id");
CREATE INDEX "token_lineage_parent_client_id_idx" ON "token_lineage" ("parent_client_id");
CREATE INDEX "token_lineage_expires_at_idx" ON "token_lineage" ("expires_at");
