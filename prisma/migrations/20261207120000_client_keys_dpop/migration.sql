-- Keys instead of shared secrets (docs/client-authentication.md).
--
-- Applications record how they authenticate at the token, revocation and introspection
-- endpoints (RFC 7591 §2 token_endpoint_auth_method). Every existing app gets the RFC 7591
-- default, client_secret_basic; the two secret methods are one credential sent two ways and
-- each accepts the other, so no existing integration changes. The list is a named CHECK so
-- that a later method (`none` for public clients) replaces this one constraint.
ALTER TABLE "applications"
  ADD COLUMN "token_endpoint_auth_method" TEXT NOT NULL DEFAULT 'client_secret_basic',
  ADD CONSTRAINT "applications_token_endpoint_auth_method_check"
    CHECK ("token_endpoint_auth_method" IN ('client_secret_basic', 'client_secret_post', 'private_key_jwt'));

-- private_key_jwt (RFC 7523 §2.2): the app's public keys, inline (a JWK Set, public members
-- only, validated by the API) or by reference (fetched through the guarded fetcher). RFC 7591
-- §2: never both.
ALTER TABLE "applications"
  ADD COLUMN "jwks" JSONB,
  ADD COLUMN "jwks_uri" TEXT,
  ADD CONSTRAINT "applications_jwks_one_source_check" CHECK ("jwks" IS NULL OR "jwks_uri" IS NULL);

-- DPoP (RFC 9449 §5.2 dpop_bound_access_tokens; §8 server nonces), per app.
ALTER TABLE "applications"
  ADD COLUMN "dpop_bound_access_tokens" BOOLEAN NOT NULL DEFAULT false,
  ADD COLUMN "dpop_nonce_required" BOOLEAN NOT NULL DEFAULT false;

-- RFC 9449 §5: a refresh family bound to a DPoP key (its RFC 7638 thumbprint) is refreshed
-- only with a proof of that key. Null: not bound (confidential clients' refresh tokens are
-- bound to the client instead).
ALTER TABLE "refresh_families" ADD COLUMN "dpop_jkt" TEXT;
