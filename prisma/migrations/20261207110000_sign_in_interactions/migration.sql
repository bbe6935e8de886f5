-- One store for every sign-in in progress (docs/architecture.md#sign-in-interactions),
-- replacing the per-flow challenge tables: `login_challenges` (the admin `mfa_token`
-- between the password and the second factor) and `user_policy_challenges` (the user
-- `policy_token` of the policy step). A row is one interaction: its handle (handed to the
-- client once, stored only as a keyed hash), its kind, whom it is about (subject, org,
-- client, each set once known), the steps already done, what the flow parked with it
-- (`params`, e.g. an authorization request), its expiry and, once finished, when it was
-- consumed; a handle is consumed exactly once.
--
-- `kind` and `steps_done` are text, checked by the code's closed table
-- (libs/signin/src/interactions/interaction-kinds.ts) rather than by a CHECK or an enum, so
-- a flow that adds a kind adds no migration that could drop another flow's kind.
-- `subject_id` names an administrator or a user (the ID's prefix says which), so it has no
-- foreign key: a flow re-reads its subject and refuses one that is gone. An org's
-- interactions go with the org.
CREATE TABLE "sign_in_interactions" (
  "id" TEXT PRIMARY KEY,
  "kind" TEXT NOT NULL,
  "handle_hash" TEXT NOT NULL,
  "subject_id" TEXT,
  "org_id" TEXT,
  "client_id" TEXT,
  "steps_done" TEXT[] NOT NULL DEFAULT '{}',
  "params" JSONB NOT NULL DEFAULT '{}',
  "expires_at" TIMESTAMPTZ(3) NOT NULL,
  "consumed_at" TIMESTAMPTZ(3),
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "sign_in_interactions_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id")
    ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "sign_in_interactions_handle_hash_key" ON "sign_in_interactions" ("handle_hash");
CREATE INDEX "sign_in_interactions_expires_at_idx" ON "sign_in_interactions" ("expires_at");

-- The challenges still within their lifetime move across with their IDs, hashes and times,
-- so a handle handed out before the upgrade keeps working after it. The hashes were keyed
-- per flow ('mfa-challenge', 'policy-challenge'), and those two kinds keep their keys. A
-- spent one moves too, so replaying it is still refused and audited against its subject;
-- an expired one is dead either way and stays behind.
INSERT INTO "sign_in_interactions"
  ("id", "kind", "handle_hash", "subject_id", "steps_done", "expires_at", "consumed_at", "created_at")
SELECT "id", 'admin_mfa', "token_hash", "admin_id", ARRAY['password'], "expires_at", "consumed_at", "created_at"
  FROM "login_challenges"
 WHERE "expires_at" > CURRENT_TIMESTAMP;

INSERT INTO "sign_in_interactions"
  ("id", "kind", "handle_hash", "subject_id", "org_id", "client_id", "steps_done", "expires_at", "consumed_at",
   "created_at")
SELECT c."id", 'user_policy', c."token_hash", c."user_id", c."org_id", c."client_id", ARRAY['password'],
       c."expires_at", c."consumed_at", c."created_at"
  FROM "user_policy_challenges" c
  JOIN "organizations" o ON o."id" = c."org_id"
 WHERE c."expires_at" > CURRENT_TIMESTAMP;

DROP TABLE "login_challenges";
DROP TABLE "user_policy_challenges";
