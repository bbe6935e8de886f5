import type { RequestMeta } from '@gatehouse/audit';
import type { SignInStep } from '../../interactions/interaction-kinds';
import type { OptionsResult } from './browser-passkeys';

/** What a factor knows of the sign-in it is a step of. */
export interface FactorContext {
  meta: RequestMeta;
  orgId: string;
  clientId: string;
  /** The identifier the person typed (lower case), once the identify step is done. */
  email: string;
  /** The user, once a factor has named them. */
  subjectId: string | null;
  /** RFC 8176 methods proven so far in this sign-in (`mfa` once it is multi-factor). */
  amr: readonly string[];
}

export type FactorResult =
  | { ok: true; subjectId: string; amr: readonly string[] }
  | { ok: false; error: 'invalid_credentials' }
  | { ok: false; error: 'rate_limited'; retryAfterS: number };

/**
 * One way of proving who you are, as one class (docs/sign-in.md#factors), the shape of
 * logto's `classes/verifications/*`: the flow asks each registered factor, in order, whether
 * it applies to this sign-in and is not done yet; the page for its `step` collects the form;
 * `verify` decides. Adding a factor (TOTP, passkeys) is a class, its page, and one entry in
 * SIGN_IN_FACTORS — the flow and the other factors do not change.
 */
export interface SignInFactor {
  readonly step: SignInStep;
  /** The form fields the factor's page posts (anything else is ignored). */
  readonly fields: readonly string[];
  /**
   * A stop rather than a step: its page explains why the sign-in cannot go on (403) and
   * nothing posted to it is accepted; `refused` records the refusal each time it is shown.
   */
  readonly blocks?: boolean;
  applies(ctx: FactorContext): Promise<boolean>;
  refused?(ctx: FactorContext): Promise<void>;
  /**
   * A factor whose page runs a WebAuthn ceremony hands the page script its options
   * (docs/sign-in-experience.md#passkeys-on-the-pages); the ceremony's answer is posted to
   * the step like any form.
   */
  options?(ctx: FactorContext): Promise<OptionsResult>;
  /** Steps the person may take instead of this one (posting `alternative=<step>`). */
  alternatives?(ctx: FactorContext): Promise<SignInStep[]>;
  verify(ctx: FactorContext, form: Readonly<Record<string, string>>): Promise<FactorResult>;
}

/** The registered factors, in the order a sign-in asks for them. */
export const SIGN_IN_FACTORS = Symbol('gatehouse.sign-in-factors');
