-- Which OAuth grants an application may use at /oauth/token (RFC 6749 §5.2 unauthorized_client).
ALTER TABLE "applications" ADD COLUMN "grant_types" TEXT[] NOT NULL DEFAULT ARRAY['client_credentials', 'refresh_token']::TEXT[];
