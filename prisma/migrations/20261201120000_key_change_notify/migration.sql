-- Key changes reach every worker and instance at once (libs/keys/src/key-watcher.ts,
-- docs/reliability.md#key-changes): any statement that changes signing_keys, whoever runs
-- it (the API, the schedule, the CLI, SQL by hand), notifies `gatehouse_keys` with the id of
-- its transaction. NOTIFY is delivered at commit and only then; identical payloads of one
-- transaction are delivered once. Each listener reloads its keys and answers on
-- `gatehouse_keys_ack` with `<txid>:<its backend pid>`, which the instance that made the
-- change waits for before it answers.

CREATE FUNCTION "key_change_notify"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('gatehouse_keys', txid_current()::text);
  RETURN NULL;
END $$;

CREATE TRIGGER "signing_keys_notify" AFTER INSERT OR UPDATE OR DELETE ON "signing_keys"
  FOR EACH STATEMENT EXECUTE FUNCTION "key_change_notify"();
