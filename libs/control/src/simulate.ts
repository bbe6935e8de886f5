import { decide, type DecisionInput } from './decide';
import type { BillingStatus, ContractStatus, OrgState, PauseTarget } from './org-state';
import type { ReasonCode } from './reasons';

/** A proposed change (POST /v1/orgs/{orgId}/control/simulate), in the PUT bodies' terms. */
export interface ProposedChange {
  contract?: { status: ContractStatus; starts_at?: Date | null; ends_at?: Date | null; contract_read_only?: boolean };
  billing?: { status: BillingStatus; grace_days?: number };
  entitlements?: Record<string, { status: 'active' | 'inactive' | 'removed'; expires_at?: Date | null }>;
  policy?: { required_version: string | null };
  pause?: { type: PauseTarget; id?: string };
  routes?: { method: string; path: string }[];
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
const time = (d: Date | null | undefined, keep: number | null) =>
  d === undefined ? keep : d === null ? null : d.getTime();

/** The org's state as it would be after `change` (pure; nothing is written). */
export function applyChange(s: OrgState, change: ProposedChange, now: number): OrgState {
  const next: OrgState = { ...s };
  if (change.contract) {
    next.contract = {
      status: change.contract.status,
      startsAt: time(change.contract.starts_at, s.contract.startsAt),
      endsAt: time(change.contract.ends_at, s.contract.endsAt),
      readOnly: change.contract.contract_read_only ?? s.contract.readOnly,
    };
  }
  if (change.billing) {
    const pastDue = change.billing.status === 'past_due';
    next.billing = {
      status: change.billing.status,
      graceDays: change.billing.grace_days ?? s.billing.graceDays,
      pastDueSince: pastDue ? (s.billing.status === 'past_due' ? s.billing.pastDueSince : now) : null,
    };
  }
  if (change.entitlements) {
    const map = new Map(s.entitlements);
    for (const [pkg, e] of Object.entries(change.entitlements)) {
      if (e.status === 'removed') map.delete(pkg);
      else map.set(pkg, { status: e.status, expiresAt: e.expires_at ? e.expires_at.getTime() : null });
    }
    next.entitlements = map;
  }
  if (change.policy) {
    // A new version has no acceptances yet; the current one keeps its own.
    const same = change.policy.required_version === s.policy.version;
    next.policy = {
      version: change.policy.required_version,
      documentUrl: s.policy.documentUrl,
      accepted: same ? s.policy.accepted : new Set(),
    };
  }
  if (change.pause) {
    const p = change.pause;
    next.pauses = [
      ...s.pauses,
      {
        id: 'pau_simulated',
        targetType: p.type,
        targetId: p.id ?? null,
        reason: 'simulated',
        pausedBy: 'simulation',
        pausedAt: now,
      },
    ];
  }
  return next;
}

interface Stop {
  outcome: 'deny' | 'review';
  code: ReasonCode;
}

type Result = { outcome: 'allow' } | Stop;

function verdict(s: OrgState, input: DecisionInput, now: number): Result {
  const v = decide(s, input, now);
  return v.outcome === 'allow' ? { outcome: 'allow' } : { outcome: v.outcome, code: v.reason };
}

const stopped = (before: Result, after: Result): after is Stop =>
  before.outcome === 'allow' && after.outcome !== 'allow';

/**
 * What the change would stop that runs today: apps (client credentials), users (sign-in
 * through each app), and each route asked about for each app. Approvals are not consumed.
 */
export function simulate(
  s: OrgState,
  change: ProposedChange,
  users: { id: string; email: string; clientIds: readonly string[] }[],
  now: number,
) {
  const after = applyChange(s, change, now);
  const appIds = [...s.apps.keys()];
  const apps = [];
  const stoppedUsers = [];
  const routes = [];
  for (const id of appIds) {
    const input: DecisionInput = {
      tier: 'app',
      subjectId: id,
      clientId: id,
      member: true,
      scopes: s.apps.get(id)?.scopes,
    };
    const b = verdict(s, input, now);
    const a = verdict(after, input, now);
    if (stopped(b, a)) apps.push({ client_id: id, ...a });
    for (const r of change.routes ?? []) {
      const action = { name: `${r.method} ${r.path}`, write: !READS.has(r.method) };
      const ri = { ...input, action, resource: { type: 'route', id: r.path } };
      const rb = verdict(s, ri, now);
      const ra = verdict(after, ri, now);
      if (stopped(rb, ra)) routes.push({ client_id: id, method: r.method, path: r.path, ...ra });
    }
  }
  for (const u of users) {
    for (const clientId of u.clientIds.length ? u.clientIds : appIds) {
      const input: DecisionInput = { tier: 'user', subjectId: u.id, clientId, member: true };
      const b = verdict(s, input, now);
      const a = verdict(after, input, now);
      if (stopped(b, a)) {
        stoppedUsers.push({ user_id: u.id, email: u.email, client_id: clientId, ...a });
        break;
      }
    }
  }
  return { would_stop: { apps, users: stoppedUsers, routes }, applied: false };
}
