import { NO_REQUEST } from '@gatehouse/audit';
import {
  BILLING_STATUSES,
  CONTRACT_STATUSES,
  ControlService,
  parseRoute,
  PauseService,
  reasonTable,
  type ControlActor,
} from '@gatehouse/control';
import { isId, type loadConfig } from '@gatehouse/core';
import { parseArgs } from 'node:util';
import { prepareRuntime } from '../runtime';
import type { CliIo } from './cli';
import { withContext } from './context';

export const CONTROL_USAGE = `  control show --org ORG_ID [--json]
      the org's control state and the decision it implies now (docs/control.md)
  control contract --org ORG_ID --status active|expired|suspended [--ends-at T] [--read-only] --reason R
  control billing --org ORG_ID --status STRIPE_STATUS [--grace-days N] --reason R
  control entitle --org ORG_ID --package P --status active|inactive [--expires-at T] --reason R
  control package-map --org ORG_ID [--scope SCOPE=PACKAGE]… [--route 'METHOD /path*=PACKAGE']… --reason R
      replace the scopes and routes that need a package (none given: clear the map)
  control pause --org ORG_ID [--app APP_ID | --workflow NAME] --reason R
  control resume --org ORG_ID --pause PAUSE_ID --note REVIEW_NOTE
  control reasons [--json]
      change or read the control layer's state, audited with actor "cli"`;

const CLI: ControlActor = { id: 'cli', tier: 'system' };

type Config = ReturnType<typeof loadConfig>;

/** `gatehouse control …`: the operator's side of docs/control.md, for scripts and incidents. */
export async function controlCommand(config: Config, sub: string, args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      org: { type: 'string' },
      status: { type: 'string' },
      'ends-at': { type: 'string' },
      'expires-at': { type: 'string' },
      'read-only': { type: 'boolean' },
      'grace-days': { type: 'string' },
      package: { type: 'string' },
      app: { type: 'string' },
      workflow: { type: 'string' },
      pause: { type: 'string' },
      reason: { type: 'string' },
      note: { type: 'string' },
      scope: { type: 'string', multiple: true },
      route: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const fail = (message: string) => {
    io.err(`gatehouse: control ${sub}: ${message}`);
    return 2;
  };
  if (sub === 'reasons') {
    const table = reasonTable();
    io.out(values.json ? JSON.stringify(table, null, 2) : table.map((r) => `${r.code}: ${r.recovery}`).join('\n'));
    return 0;
  }
  const orgId = values.org;
  if (!isId('org', orgId)) return fail('--org ORG_ID is required');
  const date = (v: string | undefined): Date | undefined | null =>
    v === undefined ? undefined : /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)) ? new Date(v) : null;
  const needsReason = ['contract', 'billing', 'entitle', 'pause', 'package-map'].includes(sub);
  if (needsReason && !values.reason) return fail('--reason is required: every change is audited with why');

  const rt = await prepareRuntime(config);
  try {
    const result = await withContext(rt, async (get) => {
      const control = get(ControlService);
      switch (sub) {
        case 'show':
          return control.view(orgId);
        case 'contract': {
          const status = values.status as (typeof CONTRACT_STATUSES)[number];
          const endsAt = date(values['ends-at']);
          if (!CONTRACT_STATUSES.includes(status) || endsAt === null) return null;
          return control.setContract(CLI, NO_REQUEST, orgId, {
            status,
            ends_at: endsAt,
            contract_read_only: values['read-only'],
            reason: values.reason,
          });
        }
        case 'billing': {
          const status = values.status as (typeof BILLING_STATUSES)[number];
          const grace = values['grace-days'] === undefined ? undefined : Number(values['grace-days']);
          if (!BILLING_STATUSES.includes(status) || (grace !== undefined && !(Number.isInteger(grace) && grace >= 0))) {
            return null;
          }
          return control.setBilling(CLI, NO_REQUEST, orgId, { status, grace_days: grace, reason: values.reason });
        }
        case 'entitle': {
          const expires = date(values['expires-at']);
          const status = values.status;
          if (!values.package || (status !== 'active' && status !== 'inactive') || expires === null) return null;
          return control.setEntitlement(CLI, NO_REQUEST, orgId, values.package, {
            status,
            expires_at: expires,
            reason: values.reason,
          });
        }
        case 'package-map': {
          // SCOPE=PACKAGE and ROUTE=PACKAGE: the package is after the last '=' (a path may hold one).
          const pairs = (list: string[] | undefined) =>
            (list ?? []).map((v) => [v.slice(0, v.lastIndexOf('=')), v.slice(v.lastIndexOf('=') + 1)] as const);
          const scopes = pairs(values.scope);
          const routes = pairs(values.route);
          const ok = (pkg: string) => /^[a-z0-9][a-z0-9._-]{0,62}$/.test(pkg);
          if ([...scopes, ...routes].some(([k, pkg]) => !k || !ok(pkg))) return null;
          if (routes.some(([r]) => parseRoute(r, '-') === null)) return null;
          return control.setPackageMap(CLI, NO_REQUEST, orgId, {
            scopes: Object.fromEntries(scopes),
            routes: routes.map(([route, pkg]) => ({ route, package: pkg })),
            reason: values.reason,
          });
        }
        case 'pause': {
          const target = values.app
            ? { type: 'app' as const, id: values.app }
            : values.workflow
              ? { type: 'workflow' as const, id: values.workflow }
              : { type: 'org' as const };
          return get(PauseService).pause(CLI, NO_REQUEST, orgId, { target, reason: values.reason! });
        }
        case 'resume':
          if (!isId('pause', values.pause) || !values.note) return null;
          return get(PauseService).resume(CLI, NO_REQUEST, orgId, values.pause, values.note);
      }
      return undefined;
    });
    if (result === undefined) return fail(`unknown subcommand (see gatehouse help)`);
    if (result === null) return fail('missing or invalid options (see gatehouse help)');
    io.out(JSON.stringify(result, null, 2));
    return 0;
  } finally {
    await rt.stop();
  }
}
