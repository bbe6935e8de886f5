import type { AccessDecision, AccessGate, AccessRequest, AccessStopped } from '@gatehouse/tokens';

/**
 * An access gate a test can turn: it allows everything until `stop` is set, then answers
 * that stop for every request `when` matches, and records what it was asked.
 */
export class SwitchableGate implements AccessGate {
  stop: Omit<AccessStopped, 'decisionId'> | null = null;
  when: (r: AccessRequest) => boolean = () => true;
  /** Asked when no stop applies (a real gate, e.g. the control layer's); null allows. */
  fallback: AccessGate | null = null;
  readonly asked: AccessRequest[] = [];
  private seq = 0;

  check(request: AccessRequest): AccessDecision | Promise<AccessDecision> {
    this.asked.push(request);
    if (!this.stop || !this.when(request)) return this.fallback ? this.fallback.check(request) : { outcome: 'allow' };
    return { ...this.stop, decisionId: `dec_test${++this.seq}` };
  }

  denyAll(reason = 'test_denied'): void {
    this.stop = {
      outcome: 'deny',
      reason,
      status: 403,
      message: 'A test gate stopped this request.',
      recovery: 'Turn the test gate off.',
      inputs: { gate: 'test' },
    };
    this.when = () => true;
  }

  reset(): void {
    this.stop = null;
    this.when = () => true;
    this.asked.length = 0;
  }
}
