import fc from 'fast-check';
import { actorChain } from '@gatehouse/verifier';
import { attenuate, type ExchangeRequest, type SubjectToken } from './delegation';

const SCOPES = ['a', 'b', 'c', 'd', 'e', 'f'];
const AUDS = ['https://api.one', 'https://api.two', 'https://api.three'];
const DEFAULT_AUD = 'https://gatehouse.test';
const ORG = 'org_1';
const NOW = 1_800_000_000;
const MAX_DEPTH = 4;

interface App {
  id: string;
  orgId: string;
  scopes: string[];
  audiences: string[];
  stepTokenTtlS: number;
  delegates: string[];
}

const subset = <T>(xs: T[]) => fc.subarray(xs);
const appArb = (i: number) =>
  fc.record({
    id: fc.constant(`app_${i}`),
    orgId: fc.constantFrom(ORG, ORG, ORG, ORG, ORG, ORG, ORG, 'org_2'),
    scopes: subset(SCOPES),
    audiences: subset(AUDS),
    stepTokenTtlS: fc.integer({ min: 10, max: 600 }),
    // Mostly a pipeline (each app names the next), sometimes anything.
    delegates: fc.oneof(fc.constant<string[]>([`app_${(i + 1) % 4}`]), subset(['app_0', 'app_1', 'app_2', 'app_3'])),
  });
const stepArb = fc.record({
  // The next app in the pipeline, mostly; any app sometimes.
  next: fc.boolean(),
  caller: fc.integer({ min: 0, max: 3 }),
  scope: fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 3 },
    { arbitrary: subset(SCOPES).map((x) => x.join(' ')), weight: 3 },
    { arbitrary: fc.constantFrom('', ' ', 'a zz', 'x"y'), weight: 1 },
  ),
  audiences: fc.oneof(
    { arbitrary: fc.constant([] as string[]), weight: 4 },
    { arbitrary: subset(AUDS), weight: 2 },
    { arbitrary: fc.constant([DEFAULT_AUD]), weight: 1 },
  ),
  withActorToken: fc.boolean(),
  elapsed: fc.integer({ min: 0, max: 60 }),
});
const scenarioArb = fc.record({
  apps: fc.tuple(appArb(0), appArb(1), appArb(2), appArb(3)),
  root: fc.record({
    tier: fc.constantFrom<'app' | 'user' | 'admin'>('app', 'user', 'user', 'user', 'user', 'admin'),
    scopes: subset(SCOPES),
    ttl: fc.integer({ min: 1, max: 3600 }),
    aud: fc.constantFrom(DEFAULT_AUD, DEFAULT_AUD, AUDS[0]),
  }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 7 }),
  // Each audience is a registered resource declaring some scopes, with or without a lifetime cap.
  resources: fc.tuple(
    ...AUDS.map((identifier) =>
      fc.record({
        identifier: fc.constant(identifier),
        scopes: fc.oneof(fc.constant(SCOPES), subset(SCOPES)),
        tokenTtlS: fc.option(fc.integer({ min: 60, max: 3600 }), { nil: null }),
      }),
    ),
  ),
});

/**
 * Property tests (docs/architecture.md#token-exchange): random chains of exchanges by random apps, with random asks.
 * Whatever is asked, no token in any chain has more scope, a later expiry, another subject,
 * another org, a deeper chain than allowed, a wider audience, or no `act`.
 */
describe('attenuation over random chains of exchanges', () => {
  it('never escalates (3,000 chains, fixed seed)', () => {
    let exchanged = 0;
    let deepest = 0;
    fc.assert(
      fc.property(scenarioArb, ({ apps, root, steps, resources }) => {
        const rootToken: SubjectToken = {
          sub: 'usr_root',
          tier: root.tier,
          orgId: root.tier === 'admin' ? undefined : ORG,
          clientId: root.tier === 'admin' ? undefined : 'app_0',
          scopes: root.scopes,
          exp: NOW + root.ttl,
          aud: root.aud,
          mayAct: apps[0].delegates,
        };
        const chain = [rootToken];
        let now = NOW;
        for (const step of steps) {
          const parent = chain[chain.length - 1];
          const pipeline = (Number(parent.clientId?.slice(4) ?? 0) + 1) % 4;
          const caller: App = apps[step.next ? pipeline : step.caller];
          now += step.elapsed;
          const req: ExchangeRequest = {
            caller,
            actor: step.withActorToken ? `usr_actor_${step.caller}` : caller.id,
            scope: step.scope,
            audiences: step.audiences,
            registered: resources,
            defaultAudience: DEFAULT_AUD,
            maxDepth: MAX_DEPTH,
            now,
          };
          const r = attenuate(parent, req);
          if (!r.ok) {
            // Refusals are only ever the three documented errors.
            expect(['invalid_request', 'invalid_scope', 'invalid_target']).toContain(r.error);
            continue;
          }
          const g = r.grant;
          exchanged++;
          deepest = Math.max(deepest, g.depth);
          // Scope only narrows: within the parent's and within what the caller holds.
          expect(g.scopes.every((s) => parent.scopes.includes(s) && caller.scopes.includes(s))).toBe(true);
          expect(g.scopes.every((s) => rootToken.scopes.includes(s))).toBe(true);
          // Expiry only shortens, and a step token lives at most the caller's step TTL.
          expect(g.exp).toBeLessThanOrEqual(parent.exp);
          expect(g.exp).toBeLessThanOrEqual(rootToken.exp);
          expect(g.exp).toBeLessThanOrEqual(now + caller.stepTokenTtlS);
          expect(g.exp).toBeGreaterThan(now);
          // One level deeper, within the limit, the parent's chain nested inside, never without act.
          expect(g.depth).toBe(actorChain(parent.act).length + 1);
          expect(actorChain(g.act)).toHaveLength(g.depth);
          expect(g.depth).toBeLessThanOrEqual(MAX_DEPTH);
          expect(g.act.sub).toBe(req.actor);
          expect(g.act.act).toEqual(parent.act);
          // Only the parent's own client or one it names in may_act may exchange it.
          expect(parent.clientId === caller.id || parent.mayAct.includes(caller.id)).toBe(true);
          // Same org; never an administrator's token.
          expect(caller.orgId).toBe(parent.orgId);
          expect(parent.tier).not.toBe('admin');
          // Audience: one of the caller's, or the parent's own; never wider than a narrowed parent.
          const parentAud = typeof parent.aud === 'string' ? [parent.aud] : parent.aud;
          expect(caller.audiences.includes(g.audience) || parentAud.includes(g.audience)).toBe(true);
          if (!(parentAud.length === 1 && parentAud[0] === DEFAULT_AUD)) expect(parentAud).toContain(g.audience);
          // A token for a resource carries only scopes it declares and lives no longer than it allows.
          const resource = resources.find((x) => x.identifier === g.audience);
          expect(g.resource).toEqual(resource ?? null);
          if (resource) {
            expect(g.scopes.every((s) => resource.scopes.includes(s))).toBe(true);
            if (resource.tokenTtlS !== null) expect(g.exp).toBeLessThanOrEqual(now + resource.tokenTtlS);
          }
          chain.push({
            sub: parent.sub,
            tier: parent.tier,
            orgId: parent.orgId,
            clientId: caller.id,
            scopes: g.scopes,
            exp: g.exp,
            aud: g.audience,
            act: g.act,
            mayAct: caller.delegates,
          });
        }
        // The subject never changes along a chain.
        expect(new Set(chain.map((t) => `${t.sub}|${t.tier}|${t.orgId}`)).size).toBe(1);
      }),
      { seed: 20261201, numRuns: 3000 },
    );
    // The generated chains really exchange, and reach the depth limit.
    expect(exchanged).toBeGreaterThan(1000);
    expect(deepest).toBe(MAX_DEPTH);
  });

  it('refuses each rule with its own error', () => {
    const subject: SubjectToken = {
      sub: 'usr_1',
      tier: 'user',
      orgId: ORG,
      clientId: 'app_0',
      scopes: ['a', 'b'],
      exp: NOW + 600,
      aud: DEFAULT_AUD,
      mayAct: ['app_1'],
    };
    const caller = { id: 'app_1', orgId: ORG, scopes: ['a', 'b', 'c'], audiences: [AUDS[0]], stepTokenTtlS: 120 };
    const base: ExchangeRequest = {
      caller,
      actor: 'app_1',
      scope: undefined,
      audiences: [],
      registered: AUDS.map((identifier) => ({ identifier, scopes: ['a', 'b', 'c'], tokenTtlS: null })),
      defaultAudience: DEFAULT_AUD,
      maxDepth: 2,
      now: NOW,
    };
    const rule = (s: Partial<SubjectToken>, r: Partial<ExchangeRequest> = {}) => {
      const out = attenuate({ ...subject, ...s }, { ...base, ...r });
      return out.ok ? 'ok' : `${out.error}:${out.rule}`;
    };
    expect(rule({})).toBe('ok');
    expect(rule({}, { scope: 'a c' })).toBe('invalid_scope:scope_widens');
    expect(rule({ tier: 'admin' })).toBe('invalid_request:admin_subject');
    expect(rule({ orgId: 'org_2' })).toBe('invalid_request:other_org');
    expect(rule({ mayAct: [] })).toBe('invalid_request:not_may_act');
    expect(rule({ act: { sub: 'x', act: { sub: 'y' } } })).toBe('invalid_request:depth');
    expect(rule({ exp: NOW })).toBe('invalid_request:expired');
    expect(rule({}, { audiences: [AUDS[1]] })).toBe('invalid_target:audience_not_allowed');
    expect(rule({}, { audiences: [AUDS[0], AUDS[1]] })).toBe('invalid_target:one_audience');
    expect(rule({ aud: AUDS[2] }, { audiences: [AUDS[0]] })).toBe('invalid_target:audience_widens');
    // An absent scope is all of the subject's that the caller holds; an absent subject scope, none.
    const all = attenuate(subject, base);
    expect(all.ok && all.grant.scopes).toEqual(['a', 'b']);
    const none = attenuate({ ...subject, scopes: [] }, base);
    expect(none.ok && none.grant.scopes).toEqual([]);
    // The expiry is the earlier of the subject's and the step TTL, computed once.
    const capped = attenuate(subject, base);
    expect(capped.ok && capped.grant.exp).toBe(NOW + 120);
    // A resource's declared scopes and lifetime bound the step token; a held scope it does not
    // declare is named as such.
    const narrow = { identifier: AUDS[0], scopes: ['a'], tokenTtlS: 60 };
    const bound = attenuate(subject, { ...base, audiences: [AUDS[0]], registered: [narrow] });
    expect(bound.ok && { scopes: bound.grant.scopes, exp: bound.grant.exp }).toEqual({ scopes: ['a'], exp: NOW + 60 });
    expect(rule({}, { audiences: [AUDS[0]], registered: [narrow], scope: 'b' })).toBe(
      'invalid_scope:scope_not_declared',
    );
    // A narrowed subject passes its audience on even to a caller that does not hold it, if registered.
    const inherited = attenuate({ ...subject, aud: AUDS[2] }, base);
    expect(inherited.ok && inherited.grant.audience).toBe(AUDS[2]);
    expect(rule({ aud: AUDS[2] }, { registered: [] })).toBe('invalid_target:audience_not_allowed');
  });
});
