-- docs/control.md#who-changes-what: a pause a platform administrator (or the operator's
-- CLI) imposed is lifted only by one; a pause an org administrator imposed stays theirs.
ALTER TABLE "governance_pauses" ADD COLUMN "imposed_by" TEXT NOT NULL DEFAULT 'org_admin';

UPDATE "governance_pauses" g SET "imposed_by" = 'operator'
 WHERE g."paused_by" = 'cli'
    OR EXISTS (SELECT 1 FROM "administrators" a WHERE a."id" = g."paused_by" AND a."role" = 'platform');
