-- Seal audit rows as they are inserted instead of updating them at commit.
--
-- The commit-time seal of 20261123050000 wrote every row twice (INSERT, then an UPDATE that
-- touched all of the table's indexes) and took about 70 µs of PostgreSQL CPU per row,
-- doubling PostgreSQL's CPU per issued token (measured by the token bench). Here a BEFORE
-- INSERT trigger sets chain_seq and hash on the row as it is written, keeping the running
-- head in a transaction-local setting, and one statement-level trigger stores the head.
--
-- The head's row lock is now taken at the transaction's first audit INSERT rather than at
-- COMMIT. AuditService defers the audit rows of a transaction to its end (PrismaService
-- runs before-commit hooks), so the lock is still the last one a transaction takes and
-- cannot deadlock with the audited change; the group-commit INSERT is a transaction of its
-- own. chain_seq is still assigned under that lock, held to commit: chain order is commit
-- order, as before.

DROP TRIGGER "audit_events_seal" ON "audit_events";
DROP FUNCTION "audit_events_seal"();
DROP INDEX "audit_events_unsealed_idx";

CREATE FUNCTION "audit_events_chain"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  head TEXT := current_setting('gatehouse.audit_chain_head', true);
  position BIGINT;
  prev BYTEA;
BEGIN
  IF head IS NULL OR head = '' THEN
    SELECT h.chain_seq, h.hash INTO position, prev FROM "audit_chain_head" h WHERE h.id = 1 FOR UPDATE;
  ELSE
    position := split_part(head, ':', 1)::BIGINT;
    prev := decode(split_part(head, ':', 2), 'hex');
  END IF;
  NEW.chain_seq := position + 1;
  NEW.hash := sha256(prev || convert_to("audit_event_canonical"(NEW, NEW.chain_seq), 'UTF8'));
  PERFORM set_config('gatehouse.audit_chain_head', NEW.chain_seq::TEXT || ':' || encode(NEW.hash, 'hex'), true);
  RETURN NEW;
END $$;

CREATE FUNCTION "audit_events_store_head"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  head TEXT := current_setting('gatehouse.audit_chain_head', true);
BEGIN
  IF head IS NOT NULL AND head <> '' THEN
    UPDATE "audit_chain_head"
       SET chain_seq = split_part(head, ':', 1)::BIGINT, hash = decode(split_part(head, ':', 2), 'hex')
     WHERE id = 1;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "audit_events_chain" BEFORE INSERT ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION "audit_events_chain"();
CREATE TRIGGER "audit_events_store_head" AFTER INSERT ON "audit_events"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_events_store_head"();

-- Nothing updates a row any more: the table is append-only without exception.
CREATE OR REPLACE FUNCTION "audit_events_append_only"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
