import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { NO_REQUEST } from '@gatehouse/audit';
import { isId, type loadConfig } from '@gatehouse/core';
import { BrandingService, SignInSettingsService, type SystemActor } from '@gatehouse/directory';
import { branding, signInSettings } from '../http/sign-in-schemas';
import { parseOrProblem } from '../http/zod.pipe';
import { prepareRuntime } from '../runtime';
import type { CliIo } from './cli';
import { withContext } from './context';

export const SIGN_IN_USAGE = `  sign-in-settings get --org ORG_ID [--json]
  sign-in-settings set --org ORG_ID [--passkeys off|optional|required] [--mfa off|optional|required]
                   [--signup off|open|domains] [--signup-domain DOMAIN]… [--default-locale en|de] [--json]
      an organization's sign-in settings (docs/sign-in-experience.md#sign-in-settings); options
      left out keep their value, and --signup-domain replaces the whole list
  branding get --org ORG_ID [--app APP_ID] [--json]
  branding set --org ORG_ID [--app APP_ID] [--display-name NAME] [--primary-color #RRGGBB]
               [--logo FILE --logo-type image/png|image/jpeg|image/gif|image/webp] [--json]
      the branding of the sign-in pages for an organization or one of its apps`;

const CLI: SystemActor = { id: 'cli', tier: 'system' };
type Config = ReturnType<typeof loadConfig>;

/** `gatehouse sign-in-settings …` and `gatehouse branding …`: the same services and rules as the API. */
export async function signInCommand(
  config: Config,
  command: 'sign-in-settings' | 'branding',
  sub: string,
  args: string[],
  io: CliIo,
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      org: { type: 'string' },
      app: { type: 'string' },
      passkeys: { type: 'string' },
      mfa: { type: 'string' },
      signup: { type: 'string' },
      'signup-domain': { type: 'string', multiple: true },
      'default-locale': { type: 'string' },
      'display-name': { type: 'string' },
      'primary-color': { type: 'string' },
      logo: { type: 'string' },
      'logo-type': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const fail = (message: string) => {
    io.err(`gatehouse: ${command} ${sub}: ${message}`);
    return 2;
  };
  if (!['get', 'set'].includes(sub)) return fail('unknown command (get, set)');
  const orgId = values.org;
  if (!isId('org', orgId)) return fail('--org ORG_ID is required');
  if (values.app !== undefined && !isId('app', values.app)) return fail('--app takes an APP_ID');
  if (values.logo !== undefined && !values['logo-type']) return fail('--logo needs --logo-type');
  const print = (doc: object, text: string) => io.out(values.json ? JSON.stringify(doc, null, 2) : text);

  const rt = await prepareRuntime(config);
  try {
    return await withContext(rt, async (get) => {
      if (command === 'sign-in-settings') {
        const settings = get(SignInSettingsService);
        let doc = await settings.get(CLI, orgId);
        if (sub === 'set') {
          const next = parseOrProblem(signInSettings, {
            passkeys: values.passkeys ?? doc.passkeys,
            mfa: values.mfa ?? doc.mfa,
            signup: values.signup ?? doc.signup,
            signup_domains: values['signup-domain'] ?? doc.signup_domains,
            default_locale: values['default-locale'] ?? doc.default_locale,
          });
          doc = await settings.put(CLI, NO_REQUEST, orgId, next);
        }
        print(
          doc,
          `passkeys ${doc.passkeys}  mfa ${doc.mfa}  signup ${doc.signup}` +
            `${doc.signup_domains.length ? ` (${doc.signup_domains.join(', ')})` : ''}  locale ${doc.default_locale}`,
        );
        return 0;
      }
      const brandings = get(BrandingService);
      const owner = { orgId, appId: values.app ?? null };
      let doc = await brandings.get(CLI, owner);
      if (sub === 'set') {
        const fields = {
          ...(values['display-name'] !== undefined ? { display_name: values['display-name'] } : {}),
          ...(values['primary-color'] !== undefined ? { primary_color: values['primary-color'] } : {}),
        };
        if (Object.keys(fields).length > 0) {
          doc = await brandings.put(CLI, NO_REQUEST, owner, parseOrProblem(branding, fields));
        }
        if (values.logo !== undefined) {
          doc = await brandings.putLogo(CLI, NO_REQUEST, owner, values['logo-type'], await readFile(values.logo));
        }
      }
      print(
        doc,
        `display name ${doc.display_name ?? '(inherited)'}  colour ${doc.primary_color ?? '(inherited)'}  logo ${doc.logo_url ?? '(none)'}`,
      );
      return 0;
    });
  } finally {
    await rt.stop();
  }
}
