-- Managed bearer tokens (docs/managed-tokens.md): one live token per user, stored only as a
-- keyed hash, exchanged by the host apps it names for short user tokens. A regenerated or
-- revoked token keeps its row (revoked_at) for the audit trail; the partial unique index
-- keeps one live token per user.
CREATE TABLE "managed_tokens" (
  "id" TEXT PRIMARY KEY,
  "org_id" TEXT NOT NULL,
  "user_id" TEXT NOT NULL,
  "token_hash" TEXT NOT NULL,
  "hosts" TEXT[] NOT NULL,
  "scope" TEXT NOT NULL,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "last_used_at" TIMESTAMPTZ(3),
  "revoked_at" TIMESTAMPTZ(3),
  "revoked_why" TEXT,
  "suspended_at" TIMESTAMPTZ(3),
  "suspended_anomaly_id" TEXT
);
CREATE UNIQUE INDEX "managed_tokens_token_hash_key" ON "managed_tokens" ("token_hash");
CREATE UNIQUE INDEX "managed_tokens_one_live_per_user" ON "managed_tokens" ("user_id") WHERE "revoked_at" IS NULL;
CREATE INDEX "managed_tokens_org_id_idx" ON "managed_tokens" ("org_id");

-- Anomaly review (docs/managed-tokens.md#anomaly-review): every flag with its evidence.
CREATE TABLE "anomalies" (
  "id" TEXT PRIMARY KEY,
  "org_id" TEXT,
  "kind" TEXT NOT NULL,
  "state" TEXT NOT NULL DEFAULT 'open',
  "subject_type" TEXT NOT NULL,
  "subject_id" TEXT NOT NULL,
  "evidence" JSONB NOT NULL,
  "audit_query" TEXT NOT NULL,
  "suspended" BOOLEAN NOT NULL DEFAULT false,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "resolved_at" TIMESTAMPTZ(3),
  "resolved_by" TEXT,
  "note" TEXT
);
CREATE INDEX "anomalies_org_id_created_at_idx" ON "anomalies" ("org_id", "created_at");

-- The detectors' thresholds (one row, id 'global') and each org's auto-suspend policy.
CREATE TABLE "anomaly_settings" (
  "id" TEXT PRIMARY KEY,
  "thresholds" JSONB NOT NULL,
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE "anomaly_policies" (
  "org_id" TEXT PRIMARY KEY,
  "auto_suspend" BOOLEAN NOT NULL,
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);
