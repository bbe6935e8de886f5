import { NO_REQUEST } from '@gatehouse/audit';
import { isId, type loadConfig } from '@gatehouse/core';
import { ResourceService, type ResourceView, type SystemActor } from '@gatehouse/directory';
import { parseArgs } from 'node:util';
import { createResource, pageQuery } from '../http/schemas';
import { parseOrProblem } from '../http/zod.pipe';
import { prepareRuntime } from '../runtime';
import type { CliIo } from './cli';
import { withContext } from './context';

export const RESOURCES_USAGE = `  resources create --org ORG_ID --identifier URI --name NAME [--scope NAME[=DESCRIPTION]]…
                   [--token-ttl SECONDS] [--json]
      register a resource (an API or MCP server) tokens may be issued for (docs/resources.md);
      its apps name the identifier in their audiences
  resources list --org ORG_ID [--json]
  resources delete --org ORG_ID --id RES_ID
      refused while applications still name it`;

const CLI: SystemActor = { id: 'cli', tier: 'system' };

type Config = ReturnType<typeof loadConfig>;

/** `gatehouse resources …`: registered resources, through the same service and rules as the API. */
export async function resourcesCommand(config: Config, sub: string, args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      org: { type: 'string' },
      identifier: { type: 'string' },
      name: { type: 'string' },
      scope: { type: 'string', multiple: true },
      'token-ttl': { type: 'string' },
      id: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const fail = (message: string) => {
    io.err(`gatehouse: resources ${sub}: ${message}`);
    return 2;
  };
  if (!['create', 'list', 'delete'].includes(sub)) return fail('unknown command (create, list, delete)');
  const orgId = values.org;
  if (!isId('org', orgId)) return fail('--org ORG_ID is required');
  let create: ReturnType<typeof createResource.parse> | undefined;
  if (sub === 'create') {
    if (!values.identifier || !values.name) return fail('--identifier and --name are required');
    const ttl = values['token-ttl'];
    if (ttl !== undefined && !/^\d+$/.test(ttl)) return fail('--token-ttl takes a whole number of seconds');
    // The API's own schema: the same rules and messages as POST /v1/orgs/{orgId}/resources.
    create = parseOrProblem(createResource, {
      identifier: values.identifier,
      name: values.name,
      // NAME=DESCRIPTION: the name is before the first '=' (a scope name holds none).
      scopes: (values.scope ?? []).map((s) =>
        s.includes('=') ? { name: s.slice(0, s.indexOf('=')), description: s.slice(s.indexOf('=') + 1) } : { name: s },
      ),
      ...(ttl !== undefined ? { token_ttl_s: Number(ttl) } : {}),
    });
  }
  if (sub === 'delete' && !isId('resource', values.id)) return fail('--id RES_ID is required');

  const rt = await prepareRuntime(config);
  try {
    return await withContext(rt, async (get) => {
      const resources = get(ResourceService);
      if (sub === 'create') {
        const created = await resources.create(CLI, NO_REQUEST, orgId, create!);
        io.out(values.json ? JSON.stringify(created, null, 2) : `created resource ${created.id} ${created.identifier}`);
      } else if (sub === 'list') {
        const all: ResourceView[] = [];
        let cursor: string | undefined;
        do {
          const page = await resources.list(CLI, orgId, parseOrProblem(pageQuery, { limit: '200', cursor }));
          all.push(...page.data);
          cursor = page.next_cursor ?? undefined;
        } while (cursor);
        io.out(values.json ? JSON.stringify(all, null, 2) : all.map(line).join('\n') || 'no resources');
      } else {
        await resources.remove(CLI, NO_REQUEST, orgId, values.id!);
        io.out(`deleted resource ${values.id}`);
      }
      return 0;
    });
  } finally {
    await rt.stop();
  }
}

function line(r: ResourceView): string {
  const scopes = r.scopes.map((s) => s.name).join(' ') || '(no scopes)';
  const ttl = r.token_ttl_s === null ? '' : ` ttl ${r.token_ttl_s}s`;
  return `${r.id}  ${r.identifier}  ${r.name}  ${scopes}${ttl}${r.legacy ? '  (legacy)' : ''}`;
}
