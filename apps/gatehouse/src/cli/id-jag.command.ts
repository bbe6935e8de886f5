import { NO_REQUEST } from '@gatehouse/audit';
import { isId, type loadConfig } from '@gatehouse/core';
import { IdJagSettingsService, type SystemActor } from '@gatehouse/directory';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createIdJagAudience, createTrustedIssuer } from '../http/schemas';
import { parseOrProblem } from '../http/zod.pipe';
import { prepareRuntime } from '../runtime';
import type { CliIo } from './cli';
import { withContext } from './context';

export const ID_JAG_USAGE = `  trusted-issuers add --org ORG_ID --issuer URL (--jwks-uri URL | --jwks-file FILE)
                     [--allow APP_ID]… [--json]
      trust an identity provider's ID-JAGs for the listed apps (docs/id-jag.md#trusted-issuers)
  trusted-issuers list --org ORG_ID [--json]
  trusted-issuers remove --org ORG_ID --id TIS_ID
  id-jag-audiences add --org ORG_ID --issuer URL --client APP_ID=CLIENT_ID… [--scope S]… [--json]
      let the apps obtain ID-JAGs for another authorization server, with their client ids
      there (docs/id-jag.md#audiences)
  id-jag-audiences list --org ORG_ID [--json]
  id-jag-audiences remove --org ORG_ID --id JAA_ID`;

const CLI: SystemActor = { id: 'cli', tier: 'system' };

type Config = ReturnType<typeof loadConfig>;

/** `gatehouse trusted-issuers …` and `gatehouse id-jag-audiences …`, through the API's service and schemas. */
export async function idJagCommand(
  config: Config,
  command: 'trusted-issuers' | 'id-jag-audiences',
  sub: string,
  args: string[],
  io: CliIo,
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      org: { type: 'string' },
      issuer: { type: 'string' },
      'jwks-uri': { type: 'string' },
      'jwks-file': { type: 'string' },
      allow: { type: 'string', multiple: true },
      client: { type: 'string', multiple: true },
      scope: { type: 'string', multiple: true },
      id: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const fail = (message: string) => {
    io.err(`gatehouse: ${command} ${sub}: ${message}`);
    return 2;
  };
  if (!['add', 'list', 'remove'].includes(sub)) return fail('unknown command (add, list, remove)');
  const orgId = values.org;
  if (!isId('org', orgId)) return fail('--org ORG_ID is required');
  const issuers = command === 'trusted-issuers';
  if (sub === 'remove' && !isId(issuers ? 'trustedIssuer' : 'idJagAudience', values.id)) {
    return fail(`--id ${issuers ? 'TIS_ID' : 'JAA_ID'} is required`);
  }
  let issuerInput: ReturnType<typeof createTrustedIssuer.parse> | undefined;
  let audienceInput: ReturnType<typeof createIdJagAudience.parse> | undefined;
  if (sub === 'add') {
    if (!values.issuer) return fail('--issuer URL is required');
    if (issuers) {
      let jwks: unknown;
      if (values['jwks-file']) {
        try {
          jwks = JSON.parse(readFileSync(values['jwks-file'], 'utf8'));
        } catch {
          return fail('--jwks-file must name a readable JSON file');
        }
      }
      issuerInput = parseOrProblem(createTrustedIssuer, {
        issuer: values.issuer,
        ...(jwks !== undefined ? { jwks } : {}),
        ...(values['jwks-uri'] ? { jwks_uri: values['jwks-uri'] } : {}),
        allowed_clients: values.allow ?? [],
      });
    } else {
      const clients = (values.client ?? []).map((c) => {
        const at = c.indexOf('=');
        return at < 0 ? { app_id: c, client_id: '' } : { app_id: c.slice(0, at), client_id: c.slice(at + 1) };
      });
      audienceInput = parseOrProblem(createIdJagAudience, {
        issuer: values.issuer,
        clients,
        scopes: values.scope ?? [],
      });
    }
  }

  const rt = await prepareRuntime(config);
  try {
    return await withContext(rt, async (get) => {
      const settings = get(IdJagSettingsService);
      const print = (value: unknown, text: string) => io.out(values.json ? JSON.stringify(value, null, 2) : text);
      if (issuers) {
        if (sub === 'add') {
          const created = await settings.createIssuer(CLI, NO_REQUEST, orgId, issuerInput!);
          print(created, `trusted ${created.issuer} as ${created.id}`);
        } else if (sub === 'list') {
          const { data } = await settings.listIssuers(CLI, orgId);
          const lines = data.map(
            (i) =>
              `${i.id}  ${i.issuer}  ${i.jwks_uri ?? 'inline keys'}  ${i.allowed_clients.join(' ') || '(no apps)'}`,
          );
          print(data, lines.join('\n') || 'no trusted issuers');
        } else {
          await settings.removeIssuer(CLI, NO_REQUEST, orgId, values.id!);
          io.out(`removed trusted issuer ${values.id}`);
        }
      } else if (sub === 'add') {
        const created = await settings.createAudience(CLI, NO_REQUEST, orgId, audienceInput!);
        print(created, `allowed ${created.issuer} as ${created.id}`);
      } else if (sub === 'list') {
        const { data } = await settings.listAudiences(CLI, orgId);
        const lines = data.map(
          (a) =>
            `${a.id}  ${a.issuer}  ${a.clients.map((c) => `${c.app_id}=${c.client_id}`).join(' ')}  ${a.scopes.join(' ')}`,
        );
        print(data, lines.join('\n') || 'no ID-JAG audiences');
      } else {
        await settings.removeAudience(CLI, NO_REQUEST, orgId, values.id!);
        io.out(`removed ID-JAG audience ${values.id}`);
      }
      return 0;
    });
  } finally {
    await rt.stop();
  }
}
