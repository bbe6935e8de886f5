import { ApiOkResponse } from '@nestjs/swagger';
import { z } from 'zod';

/**
 * Response shapes of the management API, as named schemas of the OpenAPI document
 * (`components.schemas`). The console's API types are generated from that document
 * (docs/console.md#api-types), so a shape is written here once and the console follows it.
 */
const rateLimit = z.object({ requests: z.number().int(), per_seconds: z.number().int() });
const jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });
const page = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), next_cursor: z.string().nullable() });

const Me = z.object({
  tier: z.literal('admin'),
  id: z.string(),
  email: z.string(),
  role: z.enum(['platform', 'org']),
  org_ids: z.array(z.string()),
  scopes: z.array(z.string()),
});

const Org = z.object({
  id: z.string(),
  name: z.string(),
  display_name: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});

const TokenEndpointAuthMethod = z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt']);

const App = z.object({
  id: z.string(),
  client_id: z.string(),
  org_id: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  audiences: z.array(z.string()),
  rate_limit: rateLimit,
  token_rate_limit: rateLimit,
  token_ttl_s: z.number().int(),
  grant_types: z.array(z.string()),
  disabled: z.boolean(),
  created_at: z.string(),
  delegates: z.array(z.string()).optional(),
  step_token_ttl_s: z.number().int().optional(),
  packages: z.array(z.string()).optional(),
  token_endpoint_auth_method: TokenEndpointAuthMethod.optional(),
  jwks: jwks.nullable().optional(),
  jwks_uri: z.string().nullable().optional(),
  dpop_bound_access_tokens: z.boolean().optional(),
  dpop_nonce_required: z.boolean().optional(),
  redirect_uris: z.array(z.string()),
  post_logout_redirect_uris: z.array(z.string()),
  client_type: z.string().describe('confidential or public'),
  require_pkce: z.boolean(),
  consent: z.string(),
  logo_uri: z.string().nullable(),
  client_uri: z.string().nullable(),
  policy_uri: z.string().nullable(),
  tos_uri: z.string().nullable(),
  password_login: z.boolean(),
  updated_at: z.string(),
});

const Resource = z.object({
  id: z.string(),
  org_id: z.string(),
  identifier: z.string(),
  name: z.string(),
  scopes: z.array(z.object({ name: z.string(), description: z.string() })),
  token_ttl_s: z.number().int().nullable(),
  legacy: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});

const Secret = z.object({
  id: z.string(),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  active: z.boolean(),
});

const User = z.object({
  id: z.string(),
  org_id: z.string(),
  email: z.string(),
  disabled: z.boolean(),
  email_verified: z.boolean(),
  name: z.string().nullable(),
  given_name: z.string().nullable(),
  family_name: z.string().nullable(),
  locale: z.string().nullable(),
  mfa_active: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});

const SigningKey = z.object({
  kid: z.string(),
  state: z.string().describe('next, current, retired or revoked'),
  alg: z.string(),
  published: z.boolean(),
  created_at: z.string(),
  activated_at: z.string().nullable(),
  retired_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  published_until: z.string().nullable(),
});

const KeyList = z.object({
  keys: z.array(SigningKey),
  rotation: z.object({
    period_s: z.number().int(),
    overlap_s: z.number().int(),
    publish_ahead_s: z.number().int(),
    next_rotation_at: z.string().nullable(),
  }),
});

const AuditEvent = z.object({
  id: z.string(),
  position: z.number().int(),
  occurred_at: z.string(),
  action: z.string(),
  outcome: z.string().describe('success or failure'),
  actor: z.object({ id: z.string(), tier: z.string().nullable() }).nullable(),
  org_id: z.string().nullable(),
  target: z.object({ type: z.string().nullable(), id: z.string() }).nullable(),
  reason: z.string().nullable(),
  request_id: z.string().nullable(),
  source_ip: z.string().nullable(),
  jti: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  hash: z.string().nullable().describe('SHA-256 of the previous hash and this event, hex'),
});

const ChainReport = z.union([
  z.object({
    ok: z.literal(true),
    events: z.number().int(),
    head: z.object({ position: z.number().int(), hash: z.string() }),
  }),
  z.object({
    ok: z.literal(false),
    events: z.number().int(),
    broken: z.object({ position: z.number().int(), id: z.string().nullable(), problem: z.string() }),
  }),
]);

const InspectionDecision = z.union([
  z.object({ outcome: z.literal('allow'), decision_id: z.string().optional() }),
  z.object({
    outcome: z.enum(['deny', 'review']),
    code: z.string(),
    message: z.string(),
    recovery: z.string(),
    decision_id: z.string(),
  }),
]);

const Inspection = z.union([
  z.object({ valid: z.literal(false), error: z.string() }),
  z.object({
    valid: z.literal(true),
    claims: z.record(z.string(), z.unknown()),
    act_chain: z.array(z.string()),
    revoked: z.boolean(),
    principal: z.union([z.object({ live: z.literal(true) }), z.object({ live: z.literal(false), reason: z.string() })]),
    decision: InspectionDecision,
  }),
]);

/** docs/client-registration.md#blocking */
const ExternalClient = z.object({
  client_id: z.string(),
  kind: z.enum(['metadata_document', 'dynamic']),
  client_name: z.string().nullable(),
  redirect_uris: z.array(z.string()),
  document_hash: z.string().nullable(),
  first_seen_at: z.string().nullable(),
  last_seen_at: z.string().nullable(),
  consented_at: z.string().nullable(),
  blocked_at: z.string().nullable(),
  blocked_by: z.string().nullable(),
});

/** docs/id-jag.md#trusted-issuers */
const TrustedIssuer = z.object({
  id: z.string(),
  org_id: z.string(),
  issuer: z.string(),
  jwks: jwks.nullable(),
  jwks_uri: z.string().nullable(),
  allowed_clients: z.array(z.string()),
  created_at: z.string(),
});

/** docs/id-jag.md#audiences */
const IdJagAudience = z.object({
  id: z.string(),
  org_id: z.string(),
  issuer: z.string(),
  clients: z.array(z.object({ app_id: z.string(), client_id: z.string() })),
  scopes: z.array(z.string()),
  created_at: z.string(),
});

/** A remembered consent (docs/sign-in.md#consent), as `/v1/me/consents` and the admins' route list it. */
const Consent = z.object({
  client_id: z.string(),
  resource: z.string().nullable(),
  scopes: z.array(z.string()),
  granted_at: z.string(),
});

/** Every named answer shape (a test parses real answers with them: test/api-answer-shapes.e2e-spec.ts). */
export const RESPONSES = {
  Me,
  Org,
  OrgPage: page(Org),
  App,
  AppPage: page(App),
  TokenEndpointAuthMethod,
  Resource,
  ResourcePage: page(Resource),
  Secret,
  User,
  UserPage: page(User),
  SigningKey,
  KeyList,
  AuditEvent,
  AuditEventPage: page(AuditEvent),
  ChainReport,
  InspectionDecision,
  Inspection,
  TrustedIssuer,
  IdJagAudience,
  ExternalClientList: z.object({ items: z.array(ExternalClient) }),
  ConsentList: z.object({ data: z.array(Consent) }),
} as const;

export type ResponseSchemaName = keyof typeof RESPONSES;

/** The named response schemas, as JSON Schema for `components.schemas`. */
export function responseSchemas(): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(RESPONSES).map(([name, schema]) => {
      const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'output' }) as Record<string, unknown>;
      return [name, rest];
    }),
  );
}

/** A 200 answer of the named shape (a list of them with `list`). */
export const ApiAnswer = (name: ResponseSchemaName, opts: { list?: boolean } = {}) => {
  const ref = { $ref: `#/components/schemas/${name}` };
  return ApiOkResponse({ schema: opts.list ? { type: 'array', items: ref } : ref });
};
