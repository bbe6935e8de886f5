import {
  CLIENT_TYPES,
  CONSENT_MODES,
  CIMD_DOMAIN_PATTERN,
  CIMD_POLICIES,
  GRANT_TYPES,
  MAX_RESOURCE_IDENTIFIER_LENGTH,
  TOKEN_ENDPOINT_AUTH_METHODS,
  resourceIdentifierProblem,
} from '@gatehouse/core';
import { z } from 'zod';
import { packages, policyAcceptance } from './control-schemas';
import { scope } from './scope-schema';

/**
 * Request bodies of the management API. Every object is strict: an unknown field is a
 * 400, not silently dropped, so a typo ("scope" for "scopes") cannot go unnoticed.
 */

/**
 * Every string that reaches the database goes through this: PostgreSQL refuses a NUL in
 * `text` (SQLSTATE 22021), and no field of this API has a use for C0 controls or DEL, so
 * they are a 400 `validation_failed` here rather than a data error there
 * (docs/reliability.md#inputs).
 */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const noControl = (s: string) => !CONTROL_CHARACTERS.test(s);
export const text = () => z.string().refine(noControl, 'must not contain control characters');

export const email = text()
  .trim()
  .toLowerCase()
  .max(254)
  .regex(/^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{2,63}$/, 'is not an email address');

export const orgSlug = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$/, '3–63 characters: lower-case letters, digits and inner hyphens');

const displayName = text().trim().min(1).max(200).refine(noControl, 'must not contain control characters');

export { scope };

const rateLimit = z.strictObject({
  requests: z.number().int().min(1).max(1_000_000),
  per_seconds: z.number().int().min(1).max(86_400),
});

/** An app's audiences: identifiers of registered resources of its org, checked by the service. */
const audiences = z
  .array(text().min(1).max(MAX_RESOURCE_IDENTIFIER_LENGTH))
  .max(20)
  .refine((a) => new Set(a).size === a.length, 'must not repeat an audience');

export const createOrg = z.strictObject({ name: orgSlug, display_name: displayName });
export const updateOrg = z
  .strictObject({ name: orgSlug.optional(), display_name: displayName.optional() })
  .refine((o) => Object.keys(o).length > 0, 'name at least one field to change');

/** Grants an app may use at /oauth/token; others answer unauthorized_client. */
const grantTypes = z
  .array(z.enum(GRANT_TYPES))
  .min(1)
  .refine((a) => new Set(a).size === a.length, 'must not repeat a grant type');

const appName = text().trim().min(1).max(100).refine(noControl, 'must not contain control characters');
const scopes = z
  .array(scope)
  .min(1)
  .max(50)
  .refine((a) => new Set(a).size === a.length, 'must not repeat a scope');

/** Apps of the same org that may exchange this app's tokens (RFC 8693 `may_act`). */
const delegates = z
  .array(z.string().regex(/^app_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be an application id'))
  .max(20)
  .refine((a) => new Set(a).size === a.length, 'must not repeat an application');
/** docs/design.md §3: a step token lives at most 600 s. */
const stepTokenTtl = z.number().int().min(10).max(600);

/**
 * Client authentication (docs/client-authentication.md#registering-keys). The JWK Set's
 * shape is checked here; its keys (public only, supported types, sizes) by the service.
 */
const authMethod = z
  .enum(TOKEN_ENDPOINT_AUTH_METHODS)
  .describe('RFC 7591 §2; default client_secret_basic (either secret method works for a secret app)');
const jwks = z
  .looseObject({ keys: z.array(z.record(z.string(), z.unknown())).min(1).max(10) })
  .describe('An inline JWK Set of public keys: RSA (RS256/PS256), EC P-256 (ES256) or Ed25519 (EdDSA)');
const jwksUri = z.string().max(2048).describe('https URL of the client’s JWK Set (RFC 7591 §2)');
const clientAuthFields = {
  token_endpoint_auth_method: authMethod.optional(),
  dpop_bound_access_tokens: z
    .boolean()
    .describe('RFC 9449 §5.2: token requests without a DPoP proof are refused')
    .optional(),
  dpop_nonce_required: z.boolean().describe('RFC 9449 §8: DPoP proofs must carry the server nonce').optional(),
};

/** Browser sign-in (docs/sign-in.md#clients); URIs are checked by the service. */
const uriList = z
  .array(text().min(1).max(2048))
  .max(20)
  .refine((a) => new Set(a).size === a.length, 'must not repeat a URI');
const pageUri = text().max(2048);
const signInFields = {
  redirect_uris: uriList
    .describe('Exact-match redirect URIs: https, or http to a loopback host (any port for public clients)')
    .optional(),
  post_logout_redirect_uris: uriList.describe('Exact-match targets of RP-initiated logout').optional(),
  client_type: z.enum(CLIENT_TYPES).describe('public: no secret, token_endpoint_auth_method none, PKCE').optional(),
  require_pkce: z.boolean().describe('Default true; always true for public clients').optional(),
  consent: z.enum(CONSENT_MODES).describe('first_party apps skip the consent page').optional(),
  password_login: z
    .boolean()
    .describe('Opt in to the legacy POST /v1/orgs/{orgId}/users/login (default false for new apps)')
    .optional(),
};
const pageUris = (nullable: boolean) =>
  Object.fromEntries(
    ['logo_uri', 'client_uri', 'policy_uri', 'tos_uri'].map((k) => [
      k,
      (nullable ? pageUri.nullable() : pageUri).describe('https URL shown on the consent page').optional(),
    ]),
  ) as Record<'logo_uri' | 'client_uri' | 'policy_uri' | 'tos_uri', z.ZodOptional<z.ZodNullable<typeof pageUri>>>;

export const createApp = z.strictObject({
  name: appName,
  scopes,
  audiences: audiences.optional(),
  rate_limit: rateLimit.optional(),
  token_rate_limit: rateLimit.optional(),
  token_ttl_s: z.number().int().min(60).max(3600).optional(),
  grant_types: grantTypes.optional(),
  packages: packages.optional(),
  delegates: delegates.optional(),
  step_token_ttl_s: stepTokenTtl.optional(),
  ...clientAuthFields,
  jwks: jwks.optional(),
  jwks_uri: jwksUri.optional(),
  ...signInFields,
  ...pageUris(false),
});

export const updateApp = z
  .strictObject({
    name: appName.optional(),
    scopes: scopes.optional(),
    audiences: audiences.optional(),
    rate_limit: rateLimit.optional(),
    token_rate_limit: rateLimit.optional(),
    token_ttl_s: z.number().int().min(60).max(3600).optional(),
    grant_types: grantTypes.optional(),
    packages: packages.optional(),
    delegates: delegates.optional(),
    step_token_ttl_s: stepTokenTtl.optional(),
    ...clientAuthFields,
    jwks: jwks.nullable().optional(),
    jwks_uri: jwksUri.nullable().optional(),
    ...signInFields,
    ...pageUris(true),
    disabled: z.boolean().optional(),
  })
  .refine((o) => Object.keys(o).length > 0, 'name at least one field to change');

/** A registered resource (docs/resources.md#the-model). */
const resourceIdentifier = z.string().superRefine((v, ctx) => {
  const problem = resourceIdentifierProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const resourceName = text().trim().min(1).max(200);
const resourceScopes = z
  .array(
    z.strictObject({
      name: scope,
      /** Shown on the consent page; empty: the page shows the scope's name. */
      description: text().trim().max(300).optional().default(''),
    }),
  )
  .max(100)
  .refine((a) => new Set(a.map((s) => s.name)).size === a.length, 'must not repeat a scope');
/** Caps every access token for the resource (docs/resources.md#lifetimes). */
const resourceTokenTtl = z.number().int().min(60).max(3600);

export const createResource = z.strictObject({
  identifier: resourceIdentifier,
  name: resourceName,
  scopes: resourceScopes.optional().default([]),
  token_ttl_s: resourceTokenTtl.nullable().optional(),
});

export const updateResource = z
  .strictObject({
    /** Accepted only unchanged: an identifier never changes (docs/resources.md#identifiers). */
    identifier: z.string().max(MAX_RESOURCE_IDENTIFIER_LENGTH).optional(),
    name: resourceName.optional(),
    scopes: resourceScopes.optional(),
    token_ttl_s: resourceTokenTtl.nullable().optional(),
  })
  .refine((o) => Object.keys(o).length > 0, 'name at least one field to change');

/** `PUT /v1/orgs/{orgId}/client-registration` (docs/resources.md#client-registration): the whole policy. */
export const clientRegistration = z
  .strictObject({
    dynamic_client_registration: z.strictObject({
      enabled: z.boolean(),
      confidential_clients: z.boolean().default(false),
    }),
    client_id_metadata_documents: z.strictObject({
      policy: z.enum(CIMD_POLICIES),
      domains: z
        .array(z.string().regex(CIMD_DOMAIN_PATTERN, 'a lower-case host name, or "*." and one (its subdomains)'))
        .max(100)
        .default([]),
    }),
  })
  .refine(
    (o) => o.client_id_metadata_documents.policy !== 'domains' || o.client_id_metadata_documents.domains.length > 0,
    { message: 'policy "domains" needs at least one domain', path: ['client_id_metadata_documents', 'domains'] },
  );

/** A self-registered client to block or unblock (docs/client-registration.md#blocking). */
export const externalClientRef = z.strictObject({
  client_id: z
    .string()
    .max(2048)
    .regex(/^(https?:\/\/\S+|dcr_[0-9A-HJKMNP-TV-Z]{26})$/, 'a metadata-document URL or a dcr_ client id'),
});

/** Body is optional: an empty POST rotates without touching the existing secrets' expiry. */
export const createSecret = z
  .strictObject({
    previous_expires_in_s: z
      .number()
      .int()
      .min(0)
      .max(30 * 24 * 3600)
      .optional(),
  })
  .optional()
  .transform((v) => v ?? {});

export const password = text().min(1).max(1024);

/** OIDC Core §5.1 profile claims (docs/sign-in.md#claims); null clears one on update. */
const profileName = text().trim().min(1).max(200);
const locale = z
  .string()
  .regex(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/, 'is not a BCP 47 language tag')
  .max(35);
const profileFields = (nullable: boolean) => ({
  name: (nullable ? profileName.nullable() : profileName).optional(),
  given_name: (nullable ? profileName.nullable() : profileName).optional(),
  family_name: (nullable ? profileName.nullable() : profileName).optional(),
  locale: (nullable ? locale.nullable() : locale).optional(),
});
export const createUser = z.strictObject({ email, password, ...profileFields(false) });
export const updateUser = z
  .strictObject({
    password: password.optional(),
    disabled: z.boolean().optional(),
    /** docs/sign-in-experience.md#self-sign-up: org admins may vouch for an address. */
    email_verified: z.boolean().optional(),
    ...profileFields(true),
  })
  .refine((o) => Object.keys(o).length > 0, 'name at least one field to change');

export const userLogin = z.strictObject({ client_id: text().min(1).max(64), email, password });
/** The policy step of user sign-in (docs/control.md#policy). */
export const userLoginPolicy = z.strictObject({
  policy_token: text().min(1).max(200),
  version: policyAcceptance.shape.version,
});
// The email is checked by the sign-in itself, so that an attempt with a control character is
// still counted and audited like any failed one (docs/architecture.md#admin-sign-in).
export const adminLogin = z.strictObject({ email: z.string().max(254), password });
export const adminMfa = z.strictObject({
  mfa_token: text().min(1).max(200),
  code: text().trim().min(6).max(20),
});
export const mfaActivate = z.strictObject({
  code: z
    .string()
    .trim()
    .regex(/^\d{6}$/, 'must be 6 digits'),
});
export const refreshBody = z.strictObject({ refresh_token: text().min(1).max(200) });

export const pageQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(200))
    .optional()
    .transform((v) => v ?? 50),
  cursor: text().max(200).optional(),
});

/** Lists that can be searched and ordered (docs/console.md#search). */
export const searchPageQuery = pageQuery.extend({
  q: text().trim().max(200).optional(),
  order: z.enum(['oldest', 'newest']).optional(),
});

const prefixedId = z.string().regex(/^[a-z]{3}_[0-9A-Z]{26}$|^(cli|system)$/, 'is not an ID this API issued');
const instant = z.iso
  .datetime({ offset: true })
  .transform((s) => new Date(s))
  .describe('RFC 3339 date-time, e.g. 2026-11-23T00:00:00Z');

/** `GET /v1/audit`: every filter is optional and they combine with AND. */
export const auditQuery = pageQuery.extend({
  org: prefixedId.optional(),
  actor: prefixedId.optional(),
  action: z
    .string()
    .regex(/^[a-z_]+(\.[a-z_]+)+$/, 'is not an audit action name (see docs/audit-events.md)')
    .optional(),
  target: text().min(1).max(64).optional(),
  outcome: z.enum(['success', 'failure']).optional(),
  since: instant.optional(),
  until: instant.optional(),
});

/** `POST /v1/me/managed-token`, `PATCH …/users/{userId}/managed-token` (docs/managed-tokens.md). */
export const managedTokenHosts = z.strictObject({
  hosts: z
    .array(z.string().regex(/^app_[0-9A-HJKMNP-TV-Z]{26}$/, 'is not an application id'))
    .min(1)
    .max(20),
});

/** `GET /v1/anomalies` filters (docs/managed-tokens.md#anomaly-review). */
export const anomalyQuery = z.strictObject({
  org: prefixedId.optional(),
  kind: z
    .enum(['managed_token_addresses', 'refresh_token_reuse', 'mfa_failures', 'refusal_burst', 'exchange_rate'])
    .optional(),
  state: z.enum(['open', 'acknowledged', 'cleared', 'revoked']).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

export const anomalyNote = z.strictObject({ note: text().max(1000).optional() });

const threshold = z.strictObject({
  limit: z.number().int().min(1).max(1_000_000),
  window_s: z
    .number()
    .int()
    .min(1)
    .max(86_400 * 7),
});

/** `PUT /v1/anomalies/settings`: any subset of the thresholds. */
export const anomalySettings = z.strictObject({
  managed_token_addresses: threshold.optional(),
  mfa_failures: threshold.optional(),
  refusal_burst: threshold.optional(),
  exchange_rate: threshold.optional(),
});

export const anomalyPolicy = z.strictObject({ auto_suspend: z.boolean() });

/** An application id of the org (the service checks that it is one). */
const appIdField = z.string().regex(/^app_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be an application id');
const issuerField = text()
  .min(1)
  .max(2048)
  .describe('The other server’s issuer identifier (RFC 8414 §2), exactly as it publishes it');

/** `POST /v1/orgs/{orgId}/trusted-issuers` (docs/id-jag.md#trusted-issuers). */
export const createTrustedIssuer = z.strictObject({
  issuer: issuerField,
  jwks: jwks.optional(),
  jwks_uri: jwksUri.optional(),
  allowed_clients: z
    .array(appIdField)
    .max(100)
    .refine((a) => new Set(a).size === a.length, 'must not repeat an application')
    .describe('Applications of this organization that may present grants of this issuer'),
});

/** RFC 6749 §3.3 scope-token: another server's scopes, whose own syntax Gatehouse does not know. */
const foreignScope = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/, 'must be an RFC 6749 §3.3 scope token');

/** `POST /v1/orgs/{orgId}/id-jag-audiences` (docs/id-jag.md#audiences). */
export const createIdJagAudience = z.strictObject({
  issuer: issuerField,
  clients: z
    .array(
      z.strictObject({
        app_id: appIdField,
        client_id: text().min(1).max(255).describe('The client_id this app has at that server'),
      }),
    )
    .min(1)
    .max(100),
  scopes: z
    .array(foreignScope)
    .max(100)
    .default([])
    .describe('Scopes the apps may ask to assert; none: grants carry no scope'),
});
