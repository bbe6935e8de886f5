-- GET /v1/revocations: a cursor over both revocation tables. One shared sequence orders
-- every change; `feed_at` (clock_timestamp(), taken with the sequence value) lets the feed
-- hand out a cursor only past rows old enough that no transaction holding a smaller
-- sequence value can still be uncommitted.
CREATE SEQUENCE "revocation_feed_seq";

ALTER TABLE "revoked_tokens"
    ADD COLUMN "seq" BIGINT NOT NULL DEFAULT nextval('revocation_feed_seq'),
    ADD COLUMN "feed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp();
CREATE INDEX "revoked_tokens_seq_idx" ON "revoked_tokens"("seq");

ALTER TABLE "principal_revocations"
    ADD COLUMN "seq" BIGINT NOT NULL DEFAULT nextval('revocation_feed_seq'),
    ADD COLUMN "feed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp();
CREATE INDEX "principal_revocations_seq_idx" ON "principal_revocations"("seq");

-- A mark is upserted (valid_after only ever moves forward): a moved mark is a new change.
CREATE FUNCTION "revocation_feed_touch"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.seq := nextval('revocation_feed_seq');
    NEW.feed_at := clock_timestamp();
    RETURN NEW;
END
$$;
CREATE TRIGGER "principal_revocations_feed_touch"
    BEFORE UPDATE ON "principal_revocations"
    FOR EACH ROW WHEN (NEW.valid_after IS DISTINCT FROM OLD.valid_after)
    EXECUTE FUNCTION "revocation_feed_touch"();
