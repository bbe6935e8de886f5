import {
  AuthorizationFailure,
  PROMPT_VALUES,
  single,
  type AuthorizationContext,
  type Prompt,
} from '../authorization-request';

/**
 * OIDC Core §3.1.2.1: `prompt` (`none` alone, or any of `login`, `consent`,
 * `select_account`), `max_age` (seconds, a non-negative integer), `login_hint`, `ui_locales`
 * and `acr_values` (informational: Gatehouse has one level of assurance per factor set).
 */
export function checkPrompt(ctx: AuthorizationContext): void {
  const raw = single(ctx, 'prompt', 'redirect');
  const prompt = raw === undefined ? [] : [...new Set(raw.split(' ').filter(Boolean))];
  const unknown = prompt.filter((p) => !(PROMPT_VALUES as readonly string[]).includes(p));
  if (unknown.length) {
    throw new AuthorizationFailure('redirect', 'invalid_request', `Unsupported prompt value: ${unknown.join(' ')}`);
  }
  if (prompt.includes('none') && prompt.length > 1) {
    throw new AuthorizationFailure('redirect', 'invalid_request', 'prompt=none cannot be combined with other values.');
  }
  ctx.request.prompt = prompt as Prompt[];
  const maxAge = single(ctx, 'max_age', 'redirect');
  if (maxAge !== undefined && !/^\d{1,9}$/.test(maxAge)) {
    throw new AuthorizationFailure('redirect', 'invalid_request', 'max_age must be a number of seconds.');
  }
  ctx.request.maxAge = maxAge === undefined ? null : Number(maxAge);
  const hint = single(ctx, 'login_hint', 'redirect');
  ctx.request.loginHint = hint && hint.length <= 254 ? hint : null;
  const locales = single(ctx, 'ui_locales', 'redirect');
  ctx.request.uiLocales = (locales ?? '')
    .split(' ')
    .filter((l) => /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(l))
    .slice(0, 10);
  const acr = single(ctx, 'acr_values', 'redirect');
  ctx.request.acrValues = acr && acr.length <= 512 ? acr : null;
}
