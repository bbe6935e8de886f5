-- Signing-key rotation (ARCHITECTURE.md §4): next → current → retired → expired.
-- `expired`: a retired key whose overlap has passed; it is no longer published and is kept
-- only as a record (its sealed private part was already erased when it retired).
ALTER TYPE "signing_key_state" ADD VALUE IF NOT EXISTS 'expired';

-- At most one key waits to sign, as at most one signs (signing_keys_one_current).
CREATE UNIQUE INDEX "signing_keys_one_next" ON "signing_keys"("state") WHERE "state" = 'next';
