/** Response shapes of the management API (docs/architecture.md, /openapi.json). */

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface Me {
  tier: 'admin';
  id: string;
  email: string;
  role: 'platform' | 'org';
  org_ids: string[];
  scopes: string[];
}

export interface Org {
  id: string;
  name: string;
  display_name: string;
  created_at: string;
  updated_at: string;
}

export interface RateLimit {
  requests: number;
  per_seconds: number;
}

export interface App {
  id: string;
  client_id: string;
  org_id: string;
  name: string;
  scopes: string[];
  audiences: string[];
  rate_limit: RateLimit;
  token_rate_limit: RateLimit;
  token_ttl_s: number;
  grant_types: string[];
  disabled: boolean;
  created_at: string;
  delegates?: string[];
  step_token_ttl_s?: number;
  packages?: string[];
  /** Absent on servers without client keys (docs/client-authentication.md). */
  token_endpoint_auth_method?: TokenEndpointAuthMethod;
  jwks?: { keys: Record<string, unknown>[] } | null;
  jwks_uri?: string | null;
  dpop_bound_access_tokens?: boolean;
  dpop_nonce_required?: boolean;
}

export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

export interface Resource {
  id: string;
  org_id: string;
  identifier: string;
  name: string;
  scopes: { name: string; description: string }[];
  token_ttl_s: number | null;
  legacy: boolean;
  created_at: string;
  updated_at: string;
}

export interface Secret {
  id: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  active: boolean;
}

export interface User {
  id: string;
  org_id: string;
  email: string;
  disabled: boolean;
  created_at: string;
}

export interface SigningKey {
  kid: string;
  state: 'next' | 'current' | 'retired' | 'revoked' | string;
  alg: string;
  published: boolean;
  created_at: string;
  activated_at: string | null;
  retired_at: string | null;
  revoked_at: string | null;
  published_until: string | null;
}

export interface KeyList {
  keys: SigningKey[];
  rotation: { period_s: number; overlap_s: number; publish_ahead_s: number; next_rotation_at: string | null };
}

export interface AuditEvent {
  id: string;
  position: number;
  occurred_at: string;
  action: string;
  outcome: 'success' | 'failure' | string;
  actor: { id: string; tier: string | null } | null;
  org_id: string | null;
  target: { type: string | null; id: string } | null;
  reason: string | null;
  request_id: string | null;
  jti: string | null;
  details: Record<string, unknown>;
}

export type ChainReport =
  | { ok: true; events: number; head: { position: number; hash: string } }
  | { ok: false; events: number; broken: { position: number; id: string | null; problem: string } };

export type Decision =
  | { outcome: 'allow'; decision_id?: string }
  | { outcome: 'deny' | 'review'; code: string; message: string; recovery: string; decision_id: string };

export type Inspection =
  | { valid: false; error: string }
  | {
      valid: true;
      claims: Record<string, unknown>;
      act_chain: string[];
      revoked: boolean;
      principal: { live: true } | { live: false; reason: string };
      decision: Decision;
    };

/** docs/id-jag.md#trusted-issuers */
export interface TrustedIssuer {
  id: string;
  org_id: string;
  issuer: string;
  jwks: { keys: Record<string, unknown>[] } | null;
  jwks_uri: string | null;
  allowed_clients: string[];
  created_at: string;
}

/** docs/id-jag.md#audiences */
export interface IdJagAudience {
  id: string;
  org_id: string;
  issuer: string;
  clients: { app_id: string; client_id: string }[];
  scopes: string[];
  created_at: string;
}
