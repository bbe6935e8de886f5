-- Revoke everything of a principal at once (an app, a user, a whole org): tokens issued
-- before valid_after are dead, without listing them.
CREATE TABLE "principal_revocations" (
    "subject_id" TEXT NOT NULL,
    "valid_after" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "principal_revocations_pkey" PRIMARY KEY ("subject_id")
);
