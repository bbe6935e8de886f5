-- A "valid after" mark remembers its organization, so the revocation feed (scoped to the
-- caller's org) still carries it after the app or user it names is deleted: deleting or
-- disabling an app or user now writes a mark, which offline verifiers must learn about.
-- Null for administrators (no org).
ALTER TABLE "principal_revocations" ADD COLUMN "org_id" TEXT;

UPDATE "principal_revocations" p SET "org_id" = COALESCE(
    (SELECT o.id FROM "organizations" o WHERE o.id = p.subject_id),
    (SELECT a.org_id FROM "applications" a WHERE a.id = p.subject_id),
    (SELECT u.org_id FROM "users" u WHERE u.id = p.subject_id));

CREATE INDEX "principal_revocations_org_id_seq_idx" ON "principal_revocations"("org_id", "seq");
