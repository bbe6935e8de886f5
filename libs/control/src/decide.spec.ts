import fc from 'fast-check';
import { BILLING_TABLE, billingInGoodStanding } from './billing-table';
import { decide, type DecisionInput } from './decide';
import {
  APPS_ACCEPTANCE,
  BILLING_STATUSES,
  CONTRACT_STATUSES,
  goodStanding,
  type ApprovalState,
  type OrgState,
} from './org-state';
import { REASONS } from './reasons';

const NOW = Date.UTC(2026, 11, 1, 12);
const DAY = 86_400_000;
const APP = 'app_01';
const USER = 'usr_01';

const maybeTime = fc.option(fc.integer({ min: NOW - 400 * DAY, max: NOW + 400 * DAY }), { nil: null });
const pkg = fc.constantFrom('agents', 'api', 'reports');

const state: fc.Arbitrary<OrgState> = fc
  .record({
    contract: fc.record({
      status: fc.constantFrom(...CONTRACT_STATUSES),
      startsAt: maybeTime,
      endsAt: maybeTime,
      readOnly: fc.boolean(),
    }),
    billing: fc.record({
      status: fc.constantFrom(...BILLING_STATUSES),
      graceDays: fc.integer({ min: 0, max: 30 }),
      pastDueSince: maybeTime,
    }),
    version: fc.option(fc.constantFrom('v1', 'v2'), { nil: null }),
    accepted: fc.subarray([USER, APPS_ACCEPTANCE]),
    entitlements: fc.array(fc.tuple(pkg, fc.constantFrom('active' as const, 'inactive' as const), maybeTime)),
    appPackages: fc.subarray(['agents', 'api', 'reports']),
    pauses: fc.array(
      fc.record({
        targetType: fc.constantFrom('org' as const, 'app' as const, 'workflow' as const),
        targetId: fc.constantFrom(APP, 'app_02', 'nightly', null),
      }),
      { maxLength: 2 },
    ),
    approvalActions: fc.subarray(['POST /v1/things', 'deploy']),
    reviewLastDays: fc.option(fc.integer({ min: 1, max: 30 }), { nil: null }),
  })
  .map((g) => ({
    ...goodStanding('org_01', 'acme'),
    contract: g.contract,
    billing: g.billing,
    policy: { version: g.version, documentUrl: null, accepted: new Set(g.accepted) },
    entitlements: new Map(g.entitlements.map(([p, status, expiresAt]) => [p, { status, expiresAt }])),
    apps: new Map([[APP, { packages: g.appPackages }]]),
    pauses: g.pauses.map((p, i) => ({ ...p, id: `pau_${i}`, reason: 'r', pausedBy: 'adm_1', pausedAt: NOW - DAY })),
    approvalRules: { actions: g.approvalActions, reviewLastDays: g.reviewLastDays },
  }));

const input: fc.Arbitrary<DecisionInput> = fc
  .record({
    tier: fc.constantFrom('app' as const, 'user' as const),
    subjectId: fc.constant(APP),
    clientId: fc.constant(APP),
    member: fc.constant(true),
    step: fc.option(fc.constantFrom('nightly', 'daily'), { nil: undefined }),
    action: fc.option(
      fc.record({ name: fc.constantFrom('POST /v1/things', 'GET /v1/things', 'deploy'), write: fc.boolean() }),
      { nil: undefined },
    ),
  })
  .map((i) => ({ ...i, subjectId: i.tier === 'user' ? USER : APP }));

describe('decide (docs/control.md#decisions)', () => {
  it('answers only outcomes and reasons of the closed table', () => {
    fc.assert(
      fc.property(state, input, (s, i) => {
        const v = decide(s, i, NOW);
        if (v.outcome === 'allow') return;
        expect(REASONS[v.reason]).toBeDefined();
        expect(v.outcome === 'review').toBe(v.reason === 'approval_required');
      }),
    );
  });

  it('never governs administrators', () => {
    fc.assert(
      fc.property(state, (s) =>
        expect(decide(s, { tier: 'admin', subjectId: 'adm_1', member: false }, NOW).outcome).toBe('allow'),
      ),
    );
  });

  it('stops a non-member, or a missing org, before anything else', () => {
    fc.assert(
      fc.property(fc.option(state, { nil: null }), input, (s, i) => {
        const v = decide(s, { ...i, member: s === null ? true : false }, NOW);
        expect(v).toMatchObject({ outcome: 'deny', reason: 'org_membership_missing' });
      }),
    );
  });

  it('allows everything in a new organization', () => {
    fc.assert(fc.property(input, (i) => expect(decide(goodStanding('org_01', 'acme'), i, NOW).outcome).toBe('allow')));
  });

  it('an org-wide pause wins over every other state', () => {
    fc.assert(
      fc.property(state, input, (s, i) => {
        const paused = {
          ...s,
          pauses: [
            { id: 'pau_x', targetType: 'org' as const, targetId: null, reason: 'r', pausedBy: 'adm', pausedAt: NOW },
          ],
        };
        expect(decide(paused, i, NOW)).toMatchObject({ outcome: 'deny', reason: 'governance_paused' });
      }),
    );
  });

  it('a read-only contract stops writes and lets reads through', () => {
    fc.assert(
      fc.property(state, input, fc.boolean(), (s, i, write) => {
        const ro = { ...s, contract: { ...s.contract, status: 'suspended' as const, readOnly: true }, pauses: [] };
        const v = decide(ro, { ...i, action: { name: 'GET /v1/things', write } }, NOW);
        const stoppedByContract = v.outcome === 'deny' && v.reason === 'contract_inactive';
        expect(stoppedByContract).toBe(write);
      }),
    );
  });

  it('an ends_at in the past counts as expired without a status change', () => {
    const s = {
      ...goodStanding('org_01', 'acme'),
      contract: { status: 'active' as const, startsAt: null, endsAt: NOW - 1, readOnly: false },
    };
    expect(decide(s, { tier: 'app', subjectId: APP, member: true }, NOW)).toMatchObject({
      reason: 'contract_inactive',
    });
    expect(decide(s, { tier: 'app', subjectId: APP, member: true }, NOW - 2).outcome).toBe('allow');
  });

  it('past_due keeps access exactly for the grace period', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 40 * DAY }), (graceDays, elapsed) => {
        const b = { status: 'past_due' as const, graceDays, pastDueSince: NOW - elapsed };
        expect(billingInGoodStanding(b, NOW)).toBe(elapsed < graceDays * DAY);
      }),
    );
    for (const [status, verdict] of Object.entries(BILLING_TABLE)) {
      if (verdict === 'allow_within_grace') continue;
      const b = { status: status as keyof typeof BILLING_TABLE, graceDays: 7, pastDueSince: null };
      expect(billingInGoodStanding(b, NOW)).toBe(verdict === 'allow');
    }
  });

  it('an app needs every package it lists, active and unexpired', () => {
    fc.assert(
      fc.property(state, input, (s, i) => {
        const clean = {
          ...s,
          contract: goodStanding('', '').contract,
          billing: goodStanding('', '').billing,
          pauses: [],
        };
        const v = decide(clean, { ...i, action: undefined }, NOW);
        const needed = clean.apps.get(APP)!.packages;
        const allLive = needed.every((p) => {
          const e = clean.entitlements.get(p);
          return e?.status === 'active' && (e.expiresAt === null || NOW < e.expiresAt);
        });
        expect(v.outcome === 'deny' && v.reason === 'entitlement_not_granted').toBe(!allLive);
      }),
    );
  });

  it('a required policy stops whoever has not accepted it, except on the acceptance route', () => {
    const s = {
      ...goodStanding('org_01', 'acme'),
      policy: { version: 'v2', documentUrl: null, accepted: new Set([APPS_ACCEPTANCE]) },
    };
    expect(decide(s, { tier: 'app', subjectId: APP, member: true }, NOW).outcome).toBe('allow');
    expect(decide(s, { tier: 'user', subjectId: USER, clientId: APP, member: true }, NOW)).toMatchObject({
      reason: 'policy_not_accepted',
    });
    const accepting = { name: 'POST /v1/me/policy-acceptances', write: true };
    expect(
      decide(s, { tier: 'user', subjectId: USER, clientId: APP, member: true, action: accepting }, NOW).outcome,
    ).toBe('allow');
  });

  it('an approval lets through exactly its own request, before its deadline', () => {
    const approval: ApprovalState = {
      id: 'apr_1',
      subjectId: APP,
      actionName: 'deploy',
      resourceType: 'service',
      resourceId: 'web',
      state: 'approved',
      expiresAt: NOW + DAY,
      useBy: NOW + 1000,
    };
    fc.assert(
      fc.property(
        fc.constantFrom('deploy', 'other'),
        fc.constantFrom('web', 'db'),
        fc.integer({ min: -2000, max: 2000 }),
        (name, id, dt) => {
          const s = {
            ...goodStanding('org_01', 'acme'),
            approvalRules: { actions: ['deploy', 'other'], reviewLastDays: null },
            approvals: [approval],
          };
          const v = decide(
            s,
            {
              tier: 'app',
              subjectId: APP,
              member: true,
              action: { name, write: true },
              resource: { type: 'service', id },
            },
            NOW + dt,
          );
          const own = name === 'deploy' && id === 'web' && NOW + dt < approval.useBy!;
          expect(v.outcome).toBe(own ? 'allow' : 'review');
          if (v.outcome === 'allow') expect(v.consume).toBe('apr_1');
        },
      ),
    );
  });
});
