/**
 * Per-org sign-in settings (docs/sign-in-experience.md#sign-in-settings): the shape of
 * `GET|PUT /v1/orgs/{orgId}/sign-in-settings`, shared by the directory (storage), the
 * sign-in layer (enforcement) and the HTTP schema.
 */
export const FACTOR_POLICIES = ['off', 'optional', 'required'] as const;
export type FactorPolicy = (typeof FACTOR_POLICIES)[number];

export const SIGNUP_MODES = ['off', 'open', 'domains'] as const;
export type SignupMode = (typeof SIGNUP_MODES)[number];

/** Locales with a message catalogue (libs/signin/src/i18n/); docs/sign-in-experience.md#languages. */
export const SUPPORTED_LOCALES = ['en', 'de'] as const;
export type Locale = (typeof SUPPORTED_LOCALES)[number];

export function isSupportedLocale(v: unknown): v is Locale {
  return typeof v === 'string' && (SUPPORTED_LOCALES as readonly string[]).includes(v);
}

export interface SignInSettings {
  passkeys: FactorPolicy;
  mfa: FactorPolicy;
  signup: SignupMode;
  /** Lower-case e-mail domains that may sign up when `signup` is `domains`. */
  signup_domains: string[];
  default_locale: Locale;
}

/** An org with no settings row: passkeys and TOTP offered, nobody signs up on their own. */
export const DEFAULT_SIGN_IN_SETTINGS: Readonly<SignInSettings> = Object.freeze({
  passkeys: 'optional',
  mfa: 'optional',
  signup: 'off',
  signup_domains: [],
  default_locale: 'en',
});

/** A bare lower-case DNS name (no wildcard): the domain part of an allowed address. */
export const SIGNUP_DOMAIN_PATTERN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Whether `email` may sign up under `settings` (the comparison is on the lower-cased domain). */
export function signupAllows(settings: Pick<SignInSettings, 'signup' | 'signup_domains'>, email: string): boolean {
  if (settings.signup === 'off') return false;
  if (settings.signup === 'open') return true;
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  return settings.signup_domains.includes(domain);
}
