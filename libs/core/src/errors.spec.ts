import { AccessStoppedError, type StoppedDecision } from './errors';

const decision: StoppedDecision = {
  outcome: 'deny',
  reason: 'policy_not_accepted',
  status: 403,
  message: 'The active policy version has not been accepted.',
  recovery: 'Accept the active policy and retry.',
  decisionId: 'dec_1',
};

describe('AccessStoppedError', () => {
  it('adds a surface’s recovery members to the answer, and only to the answer (docs/control.md#policy)', () => {
    const err = new AccessStoppedError(decision, { policy_token: 'gha_secret', policy_version: '2026-12' });
    expect(err.members).toEqual({
      reason: 'policy_not_accepted',
      recovery: 'Accept the active policy and retry.',
      decision_id: 'dec_1',
      policy_token: 'gha_secret',
      policy_version: '2026-12',
    });
    // What a logger sees of the error: its own properties.
    expect(JSON.stringify({ ...err, message: err.message })).not.toContain('gha_secret');
    expect(Object.values(err).map(String).join(' ')).not.toContain('gha_secret');
  });

  it('carries the decision alone without them', () => {
    expect(new AccessStoppedError(decision).members).toEqual({
      reason: 'policy_not_accepted',
      recovery: 'Accept the active policy and retry.',
      decision_id: 'dec_1',
    });
  });
});
