-- The control layer (docs/control.md): per-organization contract, billing, policy,
-- entitlements, governance pauses and approval requests, read by every instance through an
-- invalidating cache (libs/db/src/invalidating-cache.ts). An organization without an
-- "org_controls" row is in good standing: contract and billing active, no policy, no pause.

ALTER TABLE "applications" ADD COLUMN "packages" TEXT[] DEFAULT ARRAY[]::TEXT[];

CREATE TABLE "org_controls" (
    "org_id" TEXT NOT NULL,
    "contract_status" TEXT NOT NULL DEFAULT 'active',
    "contract_starts_at" TIMESTAMPTZ(3),
    "contract_ends_at" TIMESTAMPTZ(3),
    "contract_read_only" BOOLEAN NOT NULL DEFAULT false,
    "billing_status" TEXT NOT NULL DEFAULT 'active',
    "billing_grace_days" INTEGER NOT NULL DEFAULT 7,
    "billing_past_due_since" TIMESTAMPTZ(3),
    "policy_version" TEXT,
    "policy_document_url" TEXT,
    "approval_actions" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "review_last_days" INTEGER,
    "stripe_customer_id" TEXT,
    "stripe_subscription_id" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "org_controls_pkey" PRIMARY KEY ("org_id")
);

CREATE TABLE "org_entitlements" (
    "org_id" TEXT NOT NULL,
    "package" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "source" TEXT NOT NULL DEFAULT 'api',
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "org_entitlements_pkey" PRIMARY KEY ("org_id", "package")
);

CREATE TABLE "policy_acceptances" (
    "org_id" TEXT NOT NULL,
    "subject_id" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "accepted_by" TEXT NOT NULL,
    "accepted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "policy_acceptances_pkey" PRIMARY KEY ("org_id", "subject_id", "version")
);

CREATE TABLE "governance_pauses" (
    "id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT,
    "reason" TEXT NOT NULL,
    "paused_by" TEXT NOT NULL,
    "paused_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resumed_by" TEXT,
    "resumed_at" TIMESTAMPTZ(3),
    "review_note" TEXT,
    CONSTRAINT "governance_pauses_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "governance_pauses_org_id_resumed_at_idx" ON "governance_pauses"("org_id", "resumed_at");

CREATE TABLE "approval_requests" (
    "id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "decision_id" TEXT NOT NULL,
    "rule" TEXT NOT NULL,
    "subject_id" TEXT NOT NULL,
    "subject_tier" TEXT NOT NULL,
    "action_name" TEXT NOT NULL,
    "resource_type" TEXT NOT NULL,
    "resource_id" TEXT NOT NULL DEFAULT '',
    "state" TEXT NOT NULL DEFAULT 'pending',
    "requested_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "decided_by" TEXT,
    "decided_at" TIMESTAMPTZ(3),
    "note" TEXT,
    "use_by" TIMESTAMPTZ(3),
    "consumed_at" TIMESTAMPTZ(3),
    CONSTRAINT "approval_requests_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "approval_requests_org_id_state_idx" ON "approval_requests"("org_id", "state");

-- Stripe event ids already applied: a replayed event is refused (docs/control.md#stripe).
CREATE TABLE "stripe_events" (
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "org_id" TEXT,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "stripe_events_pkey" PRIMARY KEY ("id")
);

-- Org-wide and app-wide stops that offline verifiers must learn of (docs/control.md#offline):
-- an org or app pause, a suspended or expired contract. Unlike a "valid after" mark a stop
-- is reversible: the revocation feed (GET /v1/revocations, `access_stops`) carries each
-- change, `stopped` true or false, and a verifier refuses the org's (or app's) tokens while
-- it holds. Each change takes a new feed sequence value, like the other feed tables.
CREATE TABLE "access_stops" (
    "subject_id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "stopped" BOOLEAN NOT NULL,
    "reason" TEXT,
    "seq" BIGINT NOT NULL DEFAULT nextval('revocation_feed_seq'),
    "feed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT "access_stops_pkey" PRIMARY KEY ("subject_id")
);
CREATE INDEX "access_stops_org_id_seq_idx" ON "access_stops"("org_id", "seq");
CREATE TRIGGER "access_stops_feed_touch"
    BEFORE UPDATE ON "access_stops"
    FOR EACH ROW WHEN (NEW.stopped IS DISTINCT FROM OLD.stopped OR NEW.reason IS DISTINCT FROM OLD.reason)
    EXECUTE FUNCTION "revocation_feed_touch"();

ALTER TABLE "org_controls" ADD CONSTRAINT "org_controls_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "org_entitlements" ADD CONSTRAINT "org_entitlements_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "policy_acceptances" ADD CONSTRAINT "policy_acceptances_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "governance_pauses" ADD CONSTRAINT "governance_pauses_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "approval_requests" ADD CONSTRAINT "approval_requests_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Invalidation: every change to what a decision reads notifies, at commit, the channel
-- `gatehouse_control` with the key it touches: `org:<id>` (the org's whole state, its apps'
-- packages included) or `usr:<id>` (a user's membership). `*` (TRUNCATE) drops everything.
CREATE FUNCTION "cache_notify"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- TG_ARGV[0]: the channel; TG_ARGV[1]: the key prefix; TG_ARGV[2]: the column holding the id.
  IF TG_LEVEL = 'STATEMENT' THEN
    PERFORM pg_notify(TG_ARGV[0], '*');
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    PERFORM pg_notify(TG_ARGV[0], TG_ARGV[1] || ':' || (to_jsonb(OLD) ->> TG_ARGV[2]));
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM pg_notify(TG_ARGV[0], TG_ARGV[1] || ':' || (to_jsonb(NEW) ->> TG_ARGV[2]));
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "organizations_control_cache" AFTER INSERT OR UPDATE OR DELETE ON "organizations"
  FOR EACH ROW EXECUTE FUNCTION "cache_notify"('gatehouse_control', 'org', 'id');
CREATE TRIGGER "applications_control_cache" AFTER INSERT OR UPDATE OR DELETE ON "applications"
  FOR EACH ROW EXECUTE FUNCTION "cache_notify"('gatehouse_control', 'org', 'org_id');
CREATE TRIGGER "users_control_cache" AFTER INSERT OR UPDATE OR DELETE ON "users"
  FOR EACH ROW EXECUTE FUNCTION "cache_notify"('gatehouse_control', 'usr', 'id');
CREATE TRIGGER "org_controls_control_cache" AFTER INSERT OR UPDATE OR DELETE ON "org_controls"
  FOR EACH ROW EXECUTE FUNCTION "cache_notify"('gatehouse_control', 'org', 'org_id');
CREATE TRIGGER "org_entitlements_control_cache" AFTER INSERT OR UPDATE OR DELETE ON "org_entitlements"
  FOR EACH ROW EXECUTE FUNCTION "cache_notify"('gatehouse_control', 'org', 'org_id');
CREATE TRIGGER "policy_acceptances_control_cache" AFTER INSERT OR UPDATE OR DELETE ON "policy_acceptances"
  FOR EACH ROW EXECUTE FUNCTION "cache_notify"('gatehouse_control', 'org', 'org_id');
CREATE TRIGGER "governance_pauses_control_cache" AFTER INSERT OR UPDATE OR DELETE ON "governance_pauses"
  FOR EACH ROW EXECUTE FUNCTION "cache_notify"('gatehouse_control', 'org', 'org_id');
CREATE TRIGGER "approval_requests_control_cache" AFTER INSERT OR UPDATE OR DELETE ON "approval_requests"
  FOR EACH ROW EXECUTE FUNCTION "cache_notify"('gatehouse_control', 'org', 'org_id');

CREATE TRIGGER "organizations_control_cache_truncate" AFTER TRUNCATE ON "organizations"
  FOR EACH STATEMENT EXECUTE FUNCTION "cache_notify"('gatehouse_control');
CREATE TRIGGER "applications_control_cache_truncate" AFTER TRUNCATE ON "applications"
  FOR EACH STATEMENT EXECUTE FUNCTION "cache_notify"('gatehouse_control');
CREATE TRIGGER "users_control_cache_truncate" AFTER TRUNCATE ON "users"
  FOR EACH STATEMENT EXECUTE FUNCTION "cache_notify"('gatehouse_control');
CREATE TRIGGER "org_controls_control_cache_truncate" AFTER TRUNCATE ON "org_controls"
  FOR EACH STATEMENT EXECUTE FUNCTION "cache_notify"('gatehouse_control');
CREATE TRIGGER "org_entitlements_control_cache_truncate" AFTER TRUNCATE ON "org_entitlements"
  FOR EACH STATEMENT EXECUTE FUNCTION "cache_notify"('gatehouse_control');
CREATE TRIGGER "policy_acceptances_control_cache_truncate" AFTER TRUNCATE ON "policy_acceptances"
  FOR EACH STATEMENT EXECUTE FUNCTION "cache_notify"('gatehouse_control');
CREATE TRIGGER "governance_pauses_control_cache_truncate" AFTER TRUNCATE ON "governance_pauses"
  FOR EACH STATEMENT EXECUTE FUNCTION "cache_notify"('gatehouse_control');
CREATE TRIGGER "approval_requests_control_cache_truncate" AFTER TRUNCATE ON "approval_requests"
  FOR EACH STATEMENT EXECUTE FUNCTION "cache_notify"('gatehouse_control');
