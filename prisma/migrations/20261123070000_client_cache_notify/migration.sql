-- The token endpoint caches each client it authenticates: the application row, its org's
-- name and its live secret hashes (libs/oauth/src/client-cache.ts). Every change to those
-- rows, whoever makes it (an instance's API, another instance, SQL by hand), notifies
-- every listening instance, which drops its copy. NOTIFY is delivered at commit and only
-- then, so a change that rolls back evicts nothing; identical payloads in one transaction
-- are delivered once. The payload names what changed: `app:<id>`, `org:<id>`, or `*`.

CREATE FUNCTION "client_cache_notify"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- TG_ARGV[0]: the payload prefix; TG_ARGV[1]: the column that holds the id it names.
  IF TG_LEVEL = 'STATEMENT' THEN
    PERFORM pg_notify('gatehouse_client_cache', '*');
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    PERFORM pg_notify('gatehouse_client_cache', TG_ARGV[0] || ':' || (to_jsonb(OLD) ->> TG_ARGV[1]));
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM pg_notify('gatehouse_client_cache', TG_ARGV[0] || ':' || (to_jsonb(NEW) ->> TG_ARGV[1]));
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "organizations_client_cache" AFTER INSERT OR UPDATE OR DELETE ON "organizations"
  FOR EACH ROW EXECUTE FUNCTION "client_cache_notify"('org', 'id');
CREATE TRIGGER "applications_client_cache" AFTER INSERT OR UPDATE OR DELETE ON "applications"
  FOR EACH ROW EXECUTE FUNCTION "client_cache_notify"('app', 'id');
CREATE TRIGGER "application_secrets_client_cache" AFTER INSERT OR UPDATE OR DELETE ON "application_secrets"
  FOR EACH ROW EXECUTE FUNCTION "client_cache_notify"('app', 'app_id');

CREATE TRIGGER "organizations_client_cache_truncate" AFTER TRUNCATE ON "organizations"
  FOR EACH STATEMENT EXECUTE FUNCTION "client_cache_notify"();
CREATE TRIGGER "applications_client_cache_truncate" AFTER TRUNCATE ON "applications"
  FOR EACH STATEMENT EXECUTE FUNCTION "client_cache_notify"();
CREATE TRIGGER "application_secrets_client_cache_truncate" AFTER TRUNCATE ON "application_secrets"
  FOR EACH STATEMENT EXECUTE FUNCTION "client_cache_notify"();
