-- A dynamically registered client may authenticate with private_key_jwt, its jwks or jwks_uri
-- kept in "metadata" (docs/client-registration.md#dynamic-client-registration).
ALTER TABLE "dynamic_clients" DROP CONSTRAINT "dynamic_clients_token_endpoint_auth_method_check";
ALTER TABLE "dynamic_clients" ADD CONSTRAINT "dynamic_clients_token_endpoint_auth_method_check"
  CHECK ("token_endpoint_auth_method" IN ('none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'));
