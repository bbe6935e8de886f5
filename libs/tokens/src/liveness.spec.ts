import { appLiveness, userLiveness } from './liveness';

const org = 'org_A';
const live = { orgId: org, disabled: false };

describe('principal liveness (one rule for tokens, refresh, sign-in and client authentication)', () => {
  it.each([
    ['a live app in its org', live, org, { live: true }],
    ['no app', null, org, { live: false, reason: 'application unknown' }],
    ['a disabled app', { orgId: org, disabled: true }, org, { live: false, reason: 'application disabled' }],
    [
      'an app of another org',
      { orgId: 'org_B', disabled: false },
      org,
      { live: false, reason: 'application of another organization' },
    ],
    ['a token without an org', live, undefined, { live: false, reason: 'application of another organization' }],
  ])('%s', (_name, app, orgId, verdict) => {
    expect(appLiveness(app, orgId)).toEqual(verdict);
  });

  it.each([
    ['a live user through a live app', live, live, { live: true }],
    ['no user', null, live, { live: false, reason: 'user unknown' }],
    ['a disabled user', { orgId: org, disabled: true }, live, { live: false, reason: 'user disabled' }],
    [
      'a user of another org',
      { orgId: 'org_B', disabled: false },
      live,
      { live: false, reason: 'user of another organization' },
    ],
    [
      'a live user through a disabled app',
      live,
      { orgId: org, disabled: true },
      { live: false, reason: 'application disabled' },
    ],
    [
      'a live user through another org’s app',
      live,
      { orgId: 'org_B', disabled: false },
      { live: false, reason: 'application of another organization' },
    ],
    ['a live user whose app is gone', live, null, { live: false, reason: 'application unknown' }],
  ])('%s', (_name, user, app, verdict) => {
    expect(userLiveness(user, app, org)).toEqual(verdict);
  });
});
