-- The invalidation epoch (docs/control.md#live): one counter, bumped once by every
-- transaction that changes what the invalidating caches hold, and announced on
-- `gatehouse_cache_epoch` with its new value. A token's audit INSERT reads it (locking it
-- FOR SHARE until it commits), so the issuer can tell whether every change committed before
-- the token leaves had reached this process's caches when the token was decided.
--
-- The bump runs in a DEFERRABLE INITIALLY DEFERRED constraint trigger, i.e. at COMMIT: the
-- counter's row lock is the last lock a changing transaction takes (after the audit chain
-- head's, which its audit INSERT took just before COMMIT), so it holds it for a moment and
-- cannot deadlock; and as it is held to commit, epochs are handed out in commit order, which
-- is the order PostgreSQL delivers notifications in.
CREATE TABLE "cache_epoch" (
  "id" SMALLINT PRIMARY KEY CHECK ("id" = 1),
  "n" BIGINT NOT NULL
);
INSERT INTO "cache_epoch" ("id", "n") VALUES (1, 0);

CREATE FUNCTION "cache_epoch_bump"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  epoch BIGINT;
BEGIN
  -- Once a transaction, however many rows it changed.
  IF current_setting('gatehouse.cache_epoch_bumped', true) = 'yes' THEN
    RETURN NULL;
  END IF;
  PERFORM set_config('gatehouse.cache_epoch_bumped', 'yes', true);
  UPDATE "cache_epoch" SET "n" = "n" + 1 WHERE "id" = 1 RETURNING "n" INTO epoch;
  PERFORM pg_notify('gatehouse_cache_epoch', epoch::TEXT);
  RETURN NULL;
END $$;

-- Every table whose changes notify an invalidating cache (the triggers of
-- 20261123070000_client_cache_notify, 20261201110000_control_layer,
-- 20261201170000_package_map, 20261207130000_resources) gets the bump. A later table that
-- notifies a cache must get it too (docs/control.md#live).
DO $$
DECLARE
  t REGCLASS;
BEGIN
  FOR t IN
    SELECT DISTINCT tg.tgrelid::regclass
      FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid
     WHERE p.proname IN ('cache_notify', 'client_cache_notify') AND NOT tg.tgisinternal
  LOOP
    EXECUTE format(
      'CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s '
      'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "cache_epoch_bump"()',
      replace(t::TEXT, '"', '') || '_cache_epoch', t);
    -- TRUNCATE (tests, by hand) cannot be deferred: it bumps at once.
    EXECUTE format(
      'CREATE TRIGGER %I AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION "cache_epoch_bump"()',
      replace(t::TEXT, '"', '') || '_cache_epoch_truncate', t);
  END LOOP;
END $$;
