-- The policy step of user sign-in (docs/control.md#policy): a user whose password was right
-- but whose org requires a policy version the user has not accepted gets a single-use,
-- short-lived `policy_token` (`gha_…`), stored only as a keyed hash, with which it accepts
-- the policy and completes the sign-in at POST /v1/orgs/{orgId}/users/login/policy.
CREATE TABLE "user_policy_challenges" (
  "id" TEXT PRIMARY KEY,
  "org_id" TEXT NOT NULL,
  "user_id" TEXT NOT NULL,
  "client_id" TEXT NOT NULL,
  "token_hash" TEXT NOT NULL,
  "expires_at" TIMESTAMPTZ(3) NOT NULL,
  "consumed_at" TIMESTAMPTZ(3),
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "user_policy_challenges_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id")
    ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "user_policy_challenges_token_hash_key" ON "user_policy_challenges" ("token_hash");
CREATE INDEX "user_policy_challenges_user_id_idx" ON "user_policy_challenges" ("user_id");
