import {
  FACTOR_POLICIES,
  PRIMARY_COLOR_PATTERN,
  SIGNUP_DOMAIN_PATTERN,
  SIGNUP_MODES,
  SUPPORTED_LOCALES,
} from '@gatehouse/core';
import { z } from 'zod';
import { email, password, text } from './schemas';

/** Request bodies of the sign-in experience (docs/sign-in-experience.md). Strict, like every body. */

/** `PUT /v1/orgs/{orgId}/sign-in-settings`: the whole document. */
export const signInSettings = z
  .strictObject({
    passkeys: z.enum(FACTOR_POLICIES),
    mfa: z.enum(FACTOR_POLICIES),
    signup: z.enum(SIGNUP_MODES),
    signup_domains: z
      .array(z.string().trim().toLowerCase().regex(SIGNUP_DOMAIN_PATTERN, 'a lower-case domain name (no wildcard)'))
      .max(100)
      .default([]),
    default_locale: z.enum(SUPPORTED_LOCALES),
  })
  .refine((o) => o.signup !== 'domains' || o.signup_domains.length > 0, {
    message: 'signup "domains" needs at least one domain',
    path: ['signup_domains'],
  });

/** `PUT /v1/orgs/{orgId}/branding`: fields left out stay as they are; null clears one. */
export const branding = z
  .strictObject({
    display_name: text().trim().min(1).max(200).nullable().optional(),
    primary_color: z.string().regex(PRIMARY_COLOR_PATTERN, 'a colour as #rrggbb').nullable().optional(),
  })
  .refine((o) => Object.keys(o).length > 0, 'name at least one field to change');

const locale = z.string().max(100).optional();
const clientId = text().min(1).max(64);
const handle = text().min(1).max(200);

/** `POST /v1/orgs/{orgId}/password-reset`: always 202, whether or not the account exists. */
export const passwordResetRequest = z.strictObject({ email, client_id: clientId.optional(), ui_locales: locale });
export const passwordResetComplete = z.strictObject({ token: handle, password });

/** `POST /v1/orgs/{orgId}/signup` (docs/sign-in-experience.md#self-sign-up). */
export const signupRequest = z.strictObject({
  email,
  password,
  client_id: clientId.optional(),
  ui_locales: locale,
  /** The org's required policy version, when it has one: accepted on the way. */
  policy_version: text().min(1).max(100).optional(),
});
export const linkToken = z.strictObject({ token: handle });

/** `POST /v1/orgs/{orgId}/invitations`. */
export const invitation = z.strictObject({ email, ui_locales: locale });
export const invitationAccept = z.strictObject({ token: handle, password });

/**
 * A WebAuthn response as the browser serialises it (`PublicKeyCredential.toJSON()`, or
 * @simplewebauthn/browser): checked in depth by @simplewebauthn/server, so only its outline here.
 */
const b64u = z
  .string()
  .max(16384)
  .regex(/^[A-Za-z0-9_-]*={0,2}$/, 'base64url');
export const webauthnResponse = z.looseObject({
  id: b64u.min(1).max(1366),
  rawId: b64u.min(1).max(1366),
  type: z.literal('public-key'),
  response: z.looseObject({ clientDataJSON: b64u.min(1) }),
  clientExtensionResults: z.record(z.string(), z.unknown()).optional().default({}),
  authenticatorAttachment: z.string().max(40).optional(),
});

/**
 * The user MFA step of `POST /v1/orgs/{orgId}/users/login` (like `POST /v1/admin/login/mfa`):
 * a TOTP or recovery `code`, or a `passkey` assertion.
 */
export const userLoginMfa = z.union([
  z.strictObject({ mfa_token: handle, code: text().trim().min(6).max(20) }),
  z.strictObject({ mfa_token: handle, passkey: webauthnResponse }),
  z.strictObject({ mfa_token: handle, passkey_registration: webauthnResponse }),
]);

export const passkeyRegistration = z.strictObject({
  response: webauthnResponse,
  name: text().trim().min(1).max(100).optional(),
});
export const passkeyRename = z.strictObject({ name: text().trim().min(1).max(100) });
export const passkeyLoginOptions = z.strictObject({ client_id: clientId });
export const passkeyLogin = z.strictObject({ client_id: clientId, response: webauthnResponse });
export const mfaToken = z.strictObject({ mfa_token: handle });
/** `DELETE /v1/me/mfa`: a current TOTP code or a recovery code. */
export const mfaCode = z.strictObject({ code: text().trim().min(6).max(20) });
