-- Registered resources (RFC 8707; docs/resources.md): the APIs and MCP servers an
-- organization's tokens may be issued for. `identifier` is what a client sends as `resource`
-- and what the token carries as `aud`, compared exactly as registered. One identifier names
-- one organization across the platform (the partial unique index); `legacy` rows are the
-- audiences that existed before resources did and that the identifier rule would refuse, or
-- that several organizations used: they keep working for their own organization's apps, and
-- no new one can be made.
CREATE TABLE "resources" (
  "id" TEXT PRIMARY KEY,
  "org_id" TEXT NOT NULL REFERENCES "organizations" ("id") ON DELETE CASCADE,
  "identifier" TEXT NOT NULL,
  "name" TEXT NOT NULL,
  -- [{"name": scope, "description": text}], in the order the admin gave them.
  "scopes" JSONB NOT NULL DEFAULT '[]'::jsonb,
  "token_ttl_s" INTEGER,
  "legacy" BOOLEAN NOT NULL DEFAULT false,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX "resources_org_id_identifier_key" ON "resources" ("org_id", "identifier");
CREATE UNIQUE INDEX "resources_identifier_registered_key" ON "resources" ("identifier") WHERE NOT "legacy";

-- The token endpoint caches each client with the resources it may ask for
-- (libs/oauth/src/client-cache.ts): a change to an org's resources drops its clients.
CREATE TRIGGER "resources_client_cache" AFTER INSERT OR UPDATE OR DELETE ON "resources"
  FOR EACH ROW EXECUTE FUNCTION "client_cache_notify"('org', 'org_id');
CREATE TRIGGER "resources_client_cache_truncate" AFTER TRUNCATE ON "resources"
  FOR EACH STATEMENT EXECUTE FUNCTION "client_cache_notify"();

-- A ULID for the ids of the rows made below (libs/core/src/ids.ts: 48-bit time, then 80
-- random bits, Crockford base32). Bytes 6 and 8 of a v4 UUID hold its version and variant
-- bits, so they are skipped; this session's function disappears with the migration's session.
CREATE FUNCTION pg_temp.gatehouse_ulid() RETURNS TEXT LANGUAGE plpgsql AS $$
DECLARE
  alphabet CONSTANT TEXT := '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  ms BIGINT := floor(extract(epoch FROM clock_timestamp()) * 1000);
  bytes BYTEA := uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid());
  result TEXT := '';
  i INT;
BEGIN
  FOR i IN REVERSE 9..0 LOOP
    result := result || substr(alphabet, ((ms >> (i * 5)) & 31)::INT + 1, 1);
  END LOOP;
  FOR i IN 0..31 LOOP
    CONTINUE WHEN i IN (6, 8, 22, 24);
    EXIT WHEN length(result) = 26;
    result := result || substr(alphabet, (get_byte(bytes, i) & 31) + 1, 1);
  END LOOP;
  RETURN result;
END $$;

-- Today's audiences become resources of their organizations, so every app keeps what it may
-- ask for (docs/resources.md#migration). A resource declares the scopes of the apps that named
-- it (a token for a resource carries only scopes it declares), so tokens keep their scope. An
-- audience in the canonical form the identifier rule accepts (this is a conservative
-- approximation of libs/core/src/resource-identifier.ts: anything it does not recognise is
-- kept as legacy) and used by one organization only becomes a registered resource; any other
-- is kept, per organization, as legacy.
WITH audience AS (
  SELECT a."org_id", x."identifier",
         coalesce(array_agg(DISTINCT s."scope") FILTER (WHERE s."scope" IS NOT NULL), ARRAY[]::TEXT[]) AS "scopes"
    FROM "applications" a
   CROSS JOIN LATERAL unnest(a."audiences") AS x("identifier")
    LEFT JOIN LATERAL unnest(a."scopes") AS s("scope") ON true
   GROUP BY a."org_id", x."identifier"
), shared AS (
  SELECT "identifier" FROM audience GROUP BY "identifier" HAVING count(*) > 1
)
INSERT INTO "resources" ("id", "org_id", "identifier", "name", "scopes", "legacy")
SELECT 'res_' || pg_temp.gatehouse_ulid(),
       au."org_id",
       au."identifier",
       left(au."identifier", 200),
       (SELECT coalesce(jsonb_agg(jsonb_build_object('name', sc, 'description', '') ORDER BY sc), '[]'::jsonb)
          FROM unnest(au."scopes") AS sc),
       au."identifier" IN (SELECT "identifier" FROM shared)
         OR au."identifier" !~ (
              '^(https://((([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z]([a-z0-9-]*[a-z0-9])?)'
              || '|((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]))'
              || '(:[1-9][0-9]{0,4})?'
              || '|http://(localhost|127\.(([1-9]?[0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])\.){2}([1-9]?[0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])|\[::1\])'
              || '(:[1-9][0-9]{0,4})?)'
              || '(/[A-Za-z0-9_~!$&''()*+,;=:@./-]*)?$')
         OR au."identifier" ~ '^https://[^/]*:443(/|$)'
         OR au."identifier" ~ '^http://[^/]*:80(/|$)'
         OR au."identifier" ~ '/\.\.?(/|$)'
  FROM audience au;

-- A user session's grant names the resources it was granted for (RFC 8707 §2.2): a refresh may
-- ask for any of them, one at a time, and for nothing else. Empty: the grant named none (the
-- password sign-in), which covers the default audience and the app's resources.
ALTER TABLE "refresh_families" ADD COLUMN "resources" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];

-- Per-organization client registration policy (docs/resources.md#client-registration). No row
-- means the defaults: dynamic registration off, metadata documents from any host.
CREATE TABLE "client_registration_policies" (
  "org_id" TEXT PRIMARY KEY REFERENCES "organizations" ("id") ON DELETE CASCADE,
  "dcr_enabled" BOOLEAN NOT NULL DEFAULT false,
  "cimd_policy" TEXT NOT NULL DEFAULT 'any' CHECK ("cimd_policy" IN ('off', 'any', 'domains')),
  "cimd_domains" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);
