-- Tamper evidence for the audit log (issue 4): every row is sealed into a SHA-256 hash
-- chain, hash(n) = sha256(hash(n-1) || canonical(row n)), starting from 32 zero bytes.
--
-- Sealing happens in a DEFERRABLE INITIALLY DEFERRED constraint trigger, i.e. at COMMIT:
--  * every writer is covered, whatever path inserted the row;
--  * the chain head's row lock is the last lock a transaction takes, so it cannot
--    deadlock with the locks the audited change took earlier in the transaction, and it
--    is held only for the commit itself;
--  * chain_seq is assigned under that lock, so chain_seq order is commit order: a reader
--    paging by chain_seq never skips a row that commits late (seq, from a sequence, can).

ALTER TABLE "audit_events" ADD COLUMN "chain_seq" BIGINT, ADD COLUMN "hash" BYTEA;

CREATE TABLE "audit_chain_head" (
    "id" SMALLINT NOT NULL,
    "chain_seq" BIGINT NOT NULL,
    "hash" BYTEA NOT NULL,
    CONSTRAINT "audit_chain_head_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "audit_chain_head_single_row" CHECK ("id" = 1)
);
INSERT INTO "audit_chain_head" ("id", "chain_seq", "hash") VALUES (1, 0, '\x0000000000000000000000000000000000000000000000000000000000000000');

-- What a row's hash covers: every column but seq (a sequence value, not content) and the
-- chain columns themselves, as PostgreSQL's canonical jsonb text (keys sorted, one format).
-- `gatehouse audit verify` recomputes hashes from this text.
CREATE FUNCTION "audit_event_canonical"(e "audit_events", chain_position BIGINT) RETURNS TEXT
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_array(
    chain_position, e.id,
    to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    e.action, e.outcome, e.actor_id, e.actor_tier, e.org_id, e.target_type, e.target_id,
    e.reason, e.request_id, e.source_ip, e.jti, e.details
  )::text
$$;

-- Rows written before this migration join the chain in seq order.
DO $$
DECLARE
  r "audit_events";
  head_seq BIGINT := 0;
  head_hash BYTEA := '\x0000000000000000000000000000000000000000000000000000000000000000';
BEGIN
  FOR r IN SELECT * FROM "audit_events" ORDER BY "seq" LOOP
    head_seq := head_seq + 1;
    head_hash := sha256(head_hash || convert_to("audit_event_canonical"(r, head_seq), 'UTF8'));
    UPDATE "audit_events" SET "chain_seq" = head_seq, "hash" = head_hash WHERE "id" = r.id;
  END LOOP;
  UPDATE "audit_chain_head" SET "chain_seq" = head_seq, "hash" = head_hash WHERE "id" = 1;
END $$;

CREATE UNIQUE INDEX "audit_events_chain_seq_key" ON "audit_events"("chain_seq");
-- GET /v1/audit and the export filter on these and page by chain_seq.
DROP INDEX "audit_events_org_id_seq_idx";
DROP INDEX "audit_events_actor_id_seq_idx";
DROP INDEX "audit_events_action_seq_idx";
CREATE INDEX "audit_events_org_id_chain_seq_idx" ON "audit_events"("org_id", "chain_seq");
CREATE INDEX "audit_events_actor_id_chain_seq_idx" ON "audit_events"("actor_id", "chain_seq");
CREATE INDEX "audit_events_action_chain_seq_idx" ON "audit_events"("action", "chain_seq");
CREATE INDEX "audit_events_target_id_chain_seq_idx" ON "audit_events"("target_id", "chain_seq");
CREATE INDEX "audit_events_occurred_at_idx" ON "audit_events"("occurred_at");

-- The first firing in a transaction seals all of the transaction's rows, in seq order,
-- under one lock of the head; later firings find their row sealed and return. Rows of
-- other transactions are invisible here until they commit, and committed rows are sealed,
-- so "hash IS NULL" is exactly this transaction's rows.
CREATE INDEX "audit_events_unsealed_idx" ON "audit_events"("seq") WHERE "hash" IS NULL;

CREATE FUNCTION "audit_events_seal"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  head "audit_chain_head";
  r "audit_events";
BEGIN
  IF NOT EXISTS (SELECT 1 FROM "audit_events" WHERE "id" = NEW.id AND "hash" IS NULL) THEN
    RETURN NULL;
  END IF;
  SELECT * INTO head FROM "audit_chain_head" WHERE "id" = 1 FOR UPDATE;
  FOR r IN SELECT * FROM "audit_events" WHERE "hash" IS NULL ORDER BY "seq" LOOP
    head.chain_seq := head.chain_seq + 1;
    head.hash := sha256(head.hash || convert_to("audit_event_canonical"(r, head.chain_seq), 'UTF8'));
    UPDATE "audit_events" SET "chain_seq" = head.chain_seq, "hash" = head.hash WHERE "id" = r.id;
  END LOOP;
  UPDATE "audit_chain_head" SET "chain_seq" = head.chain_seq, "hash" = head.hash WHERE "id" = 1;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER "audit_events_seal" AFTER INSERT ON "audit_events"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "audit_events_seal"();

-- Append-only: the only update allowed is the seal itself (chain columns set once, no
-- other column changed); deletes are refused. This stops mistakes and ordinary roles; a
-- superuser can still disable the trigger, which is what the hash chain is for.
CREATE FUNCTION "audit_events_append_only"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.hash IS NULL AND OLD.chain_seq IS NULL
     AND (to_jsonb(NEW) - 'chain_seq' - 'hash') = (to_jsonb(OLD) - 'chain_seq' - 'hash') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER "audit_events_append_only" BEFORE UPDATE OR DELETE ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION "audit_events_append_only"();
