-- A refresh family remembers how its sign-in was made (docs/sign-in-experience.md#amr): the
-- RFC 8176 `amr` and the `auth_time` of the sign-in, so a token refreshed from a passkey or
-- MFA sign-in still says so. Families started before this migration have none (an empty
-- `amr`, and their creation time as `auth_time`, as before).
ALTER TABLE "refresh_families" ADD COLUMN "amr" TEXT[] NOT NULL DEFAULT '{}';
ALTER TABLE "refresh_families" ADD COLUMN "auth_time" TIMESTAMPTZ(3);
