import { AuditLog, NO_REQUEST } from '@gatehouse/audit';
import { ConfigError, KEY_RELOAD_INTERVAL_S, loadConfig, ProblemError } from '@gatehouse/core';
import { migrate } from '@gatehouse/db';
import { AdminService } from '@gatehouse/directory';
import { KeyRotationService } from '@gatehouse/keys';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { prepareRuntime } from '../runtime';
import { withContext } from './context';
import { APPS_USAGE, appsCommand } from './apps.command';
import { CONTROL_USAGE, controlCommand } from './control.command';
import { RESOURCES_USAGE, resourcesCommand } from './resources.command';
import { SIGN_IN_USAGE, signInCommand } from './sign-in.command';
import { ID_JAG_USAGE, idJagCommand } from './id-jag.command';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const USAGE = `usage: gatehouse <command>

  admin create --email E --password P [--platform] [--org ORG_ID ...] [--defer-mfa] [--json]
      create an administrator, enrolled in TOTP; prints its TOTP secret, otpauth URI
      and recovery codes once (--defer-mfa: the admin enrols at first sign-in instead)
  keys rotate [--json]
      promote the published next signing key to current, retire the current one (it stays
      in the JWKS for GATEHOUSE_KEY_OVERLAP_S) and publish a new next key; running
      instances pick the change up within ${KEY_RELOAD_INTERVAL_S} s
  audit verify [--json]
      walk the audit log's hash chain and recompute every hash; exits 1 naming the first
      broken row (edited, deleted or injected), 0 when the chain is whole
  audit export [--since T] [--until T] [--org ORG_ID] [--action A] [--format ndjson]
      stream audit events, oldest first, one JSON object a line (for a SIEM); T is an
      RFC 3339 date-time
  migrate
      apply the committed database migrations
${APPS_USAGE}
${RESOURCES_USAGE}
${ID_JAG_USAGE}
${CONTROL_USAGE}
${SIGN_IN_USAGE}

Configuration comes from the same environment as the server (DATABASE_URL, GATEHOUSE_KEK,
…); with none, the embedded database in ./.gatehouse is used (started if not running).`;

/** The `gatehouse` command. Returns the exit code; never calls process.exit itself. */
export async function runCli(argv: string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const [command, sub, ...rest] = argv;
  let config;
  try {
    config = loadConfig(env, { cpus: availableParallelism() });
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`gatehouse: ${err.message}`);
      return 2;
    }
    throw err;
  }
  try {
    if (command === 'admin' && sub === 'create') return await adminCreate(config, rest, io);
    if (command === 'keys' && sub === 'rotate') return await keysRotate(config, rest, io);
    if (command === 'audit' && sub === 'verify') return await auditVerify(config, rest, io);
    if (command === 'audit' && sub === 'export') return await auditExport(config, rest, io);
    if (command === 'control' && sub) return await controlCommand(config, sub, rest, io);
    if (command === 'apps' && sub) return await appsCommand(config, sub, rest, io);
    if (command === 'resources' && sub) return await resourcesCommand(config, sub, rest, io);
    if ((command === 'sign-in-settings' || command === 'branding') && sub) {
      return await signInCommand(config, command, sub, rest, io);
    }
    if ((command === 'trusted-issuers' || command === 'id-jag-audiences') && sub) {
      return await idJagCommand(config, command, sub, rest, io);
    }
    if (command === 'migrate') {
      const rt = await prepareRuntime(config, { migrate: false });
      try {
        const result = await migrate(rt.databaseUrl);
        io.out(
          result.applied.length
            ? `applied: ${result.applied.join(', ')}`
            : `up to date (${result.alreadyApplied} migrations)`,
        );
        return 0;
      } finally {
        await rt.stop();
      }
    }
    io.err(USAGE);
    return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  } catch (err) {
    if (err instanceof ProblemError) {
      io.err(`gatehouse: ${err.detail ?? err.title}`);
      return 1;
    }
    io.err(`gatehouse: ${(err as Error).message}`);
    return 1;
  }
}

async function adminCreate(config: ReturnType<typeof loadConfig>, args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      email: { type: 'string' },
      password: { type: 'string' },
      platform: { type: 'boolean', default: false },
      org: { type: 'string', multiple: true, default: [] },
      'defer-mfa': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.email || !values.password) {
    io.err('gatehouse: admin create needs --email and --password');
    return 2;
  }
  const rt = await prepareRuntime(config);
  try {
    const admin = await withContext(rt, (get) =>
      get(AdminService).create(NO_REQUEST, {
        email: values.email!,
        password: values.password!,
        platform: values.platform!,
        orgIds: values.org!,
        deferMfa: values['defer-mfa'],
      }),
    );
    if (values.json) {
      io.out(JSON.stringify(admin, null, 2));
    } else {
      const lines = [`created ${admin.role} administrator ${admin.id} <${admin.email}>`];
      if (admin.mfa) {
        lines.push(
          `TOTP secret:    ${admin.mfa.secret}`,
          `otpauth URI:    ${admin.mfa.otpauth_uri}`,
          `recovery codes: ${admin.mfa.recovery_codes.join(' ')}`,
          'These are shown once; store them now.',
        );
      } else {
        lines.push('MFA enrolment is due at first sign-in (POST /v1/admin/mfa/enroll).');
      }
      io.out(lines.join('\n'));
    }
    return 0;
  } finally {
    await rt.stop();
  }
}

async function keysRotate(config: ReturnType<typeof loadConfig>, args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, strict: true });
  const rt = await prepareRuntime(config);
  try {
    const result = await withContext(rt, (get) => get(KeyRotationService).rotate('cli', NO_REQUEST));
    if (values.json) {
      io.out(JSON.stringify(result, null, 2));
    } else {
      io.out(
        [
          `rotated: ${result.current_kid} now signs`,
          `retired: ${result.retired_kid} (still published for verification)`,
          `next:    ${result.next_kid} (published, signs at the next rotation)`,
          `Running instances switch within ${KEY_RELOAD_INTERVAL_S} s.`,
        ].join('\n'),
      );
    }
    return 0;
  } finally {
    await rt.stop();
  }
}

async function auditVerify(config: ReturnType<typeof loadConfig>, args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, strict: true });
  const rt = await prepareRuntime(config);
  try {
    const report = await withContext(rt, (get) => get(AuditLog).verify());
    if (values.json) {
      io.out(JSON.stringify(report, null, 2));
    } else if (report.ok) {
      io.out(
        `audit chain intact: ${report.events} events, head ${report.head.hash} at position ${report.head.position}`,
      );
    } else {
      const b = report.broken;
      io.err(
        `audit chain broken at position ${b.position}${b.id ? ` (event ${b.id})` : ''}: ${b.problem}; ` +
          `${report.events} events before it verified`,
      );
    }
    return report.ok ? 0 : 1;
  } finally {
    await rt.stop();
  }
}

async function auditExport(config: ReturnType<typeof loadConfig>, args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      org: { type: 'string' },
      action: { type: 'string' },
      format: { type: 'string', default: 'ndjson' },
    },
    strict: true,
  });
  if (values.format !== 'ndjson') {
    io.err(`gatehouse: --format ${values.format} is not supported (ndjson is)`);
    return 2;
  }
  const instant = (name: 'since' | 'until'): Date | undefined | null => {
    const v = values[name];
    if (v === undefined) return undefined;
    const d = new Date(v);
    return /^\d{4}-\d{2}-\d{2}/.test(v) && !Number.isNaN(d.getTime()) ? d : null;
  };
  const since = instant('since');
  const until = instant('until');
  if (since === null || until === null) {
    io.err('gatehouse: --since and --until take an RFC 3339 date-time, e.g. 2026-11-23T00:00:00Z');
    return 2;
  }
  const rt = await prepareRuntime(config);
  try {
    await withContext(rt, async (get) => {
      const filter = { visibleOrgIds: null, since, until, orgId: values.org, action: values.action };
      for await (const event of get(AuditLog).stream(filter)) io.out(JSON.stringify(event));
    });
    return 0;
  } finally {
    await rt.stop();
  }
}
