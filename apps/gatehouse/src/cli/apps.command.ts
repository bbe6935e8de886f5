import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { NO_REQUEST } from '@gatehouse/audit';
import {
  DEFAULT_TOKEN_RATE_LIMIT,
  GRANT_TYPES,
  TOKEN_ENDPOINT_AUTH_METHODS,
  type AdminPrincipal,
  type loadConfig,
  type TokenEndpointAuthMethod,
} from '@gatehouse/core';
import { AppService, type CreateAppInput, type UpdateAppInput } from '@gatehouse/directory';
import { prepareRuntime } from '../runtime';
import type { CliIo } from './cli';
import { withContext } from './context';

export const APPS_USAGE = `  apps create --org ORG_ID --name NAME --scope S [--scope S]… [--auth-method M]
              [--jwks-file FILE | --jwks-uri URL] [--dpop-bound true|false] [--dpop-nonce-required true|false] [--json]
  apps update --org ORG_ID --app APP_ID [--auth-method M] [--jwks-file FILE | --jwks-uri URL | --clear-keys]
              [--dpop-bound true|false] [--dpop-nonce-required true|false] [--json]
      both also take the browser sign-in settings (docs/sign-in.md#clients): [--grant G]…
              [--redirect-uri URI]… [--post-logout-redirect-uri URI]… [--client-type confidential|public]
              [--consent required|first_party] [--password-login true|false]
      register an application, or change how it authenticates (docs/client-authentication.md):
      M is ${TOKEN_ENDPOINT_AUTH_METHODS.join(' | ')}; FILE holds a public JWK Set; a private_key_jwt
      app gets no client secret. Audited with actor "cli"`;

type Config = ReturnType<typeof loadConfig>;

/** The operator at the console of the CLI: a platform administrator named `cli` in the audit log. */
const CLI_OPERATOR: AdminPrincipal = {
  tier: 'admin',
  id: 'cli',
  role: 'platform',
  orgIds: [],
  scopes: ['admin'],
  jti: 'cli',
  email: 'cli',
  rateLimit: DEFAULT_TOKEN_RATE_LIMIT,
};

/** `gatehouse apps create|update`: registering keys and DPoP requirements from scripts. */
export async function appsCommand(config: Config, sub: string, args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      org: { type: 'string' },
      app: { type: 'string' },
      name: { type: 'string' },
      scope: { type: 'string', multiple: true },
      'auth-method': { type: 'string' },
      'jwks-file': { type: 'string' },
      'jwks-uri': { type: 'string' },
      'clear-keys': { type: 'boolean', default: false },
      'dpop-bound': { type: 'string' },
      'dpop-nonce-required': { type: 'string' },
      grant: { type: 'string', multiple: true },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      'client-type': { type: 'string' },
      consent: { type: 'string' },
      'password-login': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const fail = (message: string) => {
    io.err(`gatehouse: apps ${sub}: ${message}`);
    return 2;
  };
  if (sub !== 'create' && sub !== 'update') return fail(`unknown subcommand (create, update)`);
  if (!values.org) return fail('--org is required');
  const method = values['auth-method'];
  if (method !== undefined && !(TOKEN_ENDPOINT_AUTH_METHODS as readonly string[]).includes(method)) {
    return fail(`--auth-method must be one of ${TOKEN_ENDPOINT_AUTH_METHODS.join(', ')}`);
  }
  const flag = (name: 'dpop-bound' | 'dpop-nonce-required' | 'password-login'): boolean | undefined | null => {
    const v = values[name];
    if (v === undefined) return undefined;
    if (v === 'true') return true;
    if (v === 'false') return false;
    return null;
  };
  const dpopBound = flag('dpop-bound');
  const nonceRequired = flag('dpop-nonce-required');
  if (dpopBound === null || nonceRequired === null)
    return fail('--dpop-bound and --dpop-nonce-required take true or false');
  const passwordLogin = flag('password-login');
  if (passwordLogin === null) return fail('--password-login takes true or false');
  if (values['client-type'] !== undefined && !['confidential', 'public'].includes(values['client-type'])) {
    return fail('--client-type must be confidential or public');
  }
  if (values.consent !== undefined && !['required', 'first_party'].includes(values.consent)) {
    return fail('--consent must be required or first_party');
  }
  if (values.grant && values.grant.some((g) => !(GRANT_TYPES as readonly string[]).includes(g))) {
    return fail(`--grant must be one of ${GRANT_TYPES.join(', ')}`);
  }
  const signIn = {
    ...(values.grant ? { grant_types: values.grant } : {}),
    ...(values['redirect-uri'] ? { redirect_uris: values['redirect-uri'] } : {}),
    ...(values['post-logout-redirect-uri'] ? { post_logout_redirect_uris: values['post-logout-redirect-uri'] } : {}),
    ...(values['client-type'] ? { client_type: values['client-type'] } : {}),
    ...(values.consent ? { consent: values.consent } : {}),
    ...(passwordLogin !== undefined ? { password_login: passwordLogin } : {}),
  };
  if ([values['jwks-file'], values['jwks-uri'], values['clear-keys'] || undefined].filter(Boolean).length > 1) {
    return fail('give one of --jwks-file, --jwks-uri, --clear-keys');
  }
  let jwks: Record<string, unknown> | null | undefined;
  if (values['jwks-file']) {
    try {
      jwks = JSON.parse(readFileSync(values['jwks-file'], 'utf8')) as Record<string, unknown>;
    } catch (err) {
      return fail(`--jwks-file: ${(err as Error).message}`);
    }
  }
  const auth = {
    ...(method ? { token_endpoint_auth_method: method as TokenEndpointAuthMethod } : {}),
    ...(jwks !== undefined ? { jwks } : {}),
    ...(values['jwks-uri'] ? { jwks_uri: values['jwks-uri'] } : {}),
    ...(values['clear-keys'] ? { jwks: null, jwks_uri: null } : {}),
    ...(dpopBound !== undefined ? { dpop_bound_access_tokens: dpopBound } : {}),
    ...(nonceRequired !== undefined ? { dpop_nonce_required: nonceRequired } : {}),
    ...signIn,
  };
  if (sub === 'create' && (!values.name || !values.scope?.length)) return fail('create needs --name and --scope');
  if (sub === 'update' && !values.app) return fail('update needs --app');

  const rt = await prepareRuntime(config);
  try {
    const result = await withContext(rt, (get) => {
      const apps = get(AppService);
      return sub === 'create'
        ? apps.create(CLI_OPERATOR, NO_REQUEST, values.org!, {
            name: values.name!,
            scopes: values.scope!,
            ...auth,
          } as CreateAppInput)
        : apps.update(CLI_OPERATOR, NO_REQUEST, values.org!, values.app!, auth as UpdateAppInput);
    });
    if (values.json) io.out(JSON.stringify(result, null, 2));
    else {
      const lines = [
        `${sub === 'create' ? 'created' : 'updated'} application ${result.client_id} (${result.name})`,
        `authentication: ${result.token_endpoint_auth_method}` +
          (result.jwks_uri ? ` with keys from ${result.jwks_uri}` : result.jwks ? ' with registered keys' : ''),
        `DPoP: ${result.dpop_bound_access_tokens ? 'required' : 'optional'}` +
          (result.dpop_nonce_required ? ', server nonce required' : ''),
        `sign-in: ${result.client_type} client, redirect URIs: ${result.redirect_uris.join(' ') || 'none'}`,
      ];
      const secret = (result as { client_secret?: string }).client_secret;
      if (secret) lines.push(`client secret:  ${secret}`, 'It is shown once; store it now.');
      io.out(lines.join('\n'));
    }
    return 0;
  } finally {
    await rt.stop();
  }
}
