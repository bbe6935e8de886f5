import type { Decision } from '../api/types';

/** An access decision: the outcome, and for a refusal its reason code, message and recovery path. */
export function DecisionView({ decision }: { decision: Decision }) {
  if (decision.outcome === 'allow') {
    return (
      <p className="decision allow" data-testid="decision">
        <strong>Allow</strong> — nothing in the control layer stops this now.
      </p>
    );
  }
  return (
    <div className={`decision ${decision.outcome}`} data-testid="decision">
      <p>
        <strong>{decision.outcome === 'deny' ? 'Deny' : 'Review'}</strong> —{' '}
        <code className="code">{decision.code}</code>
      </p>
      <p>{decision.message}</p>
      <p>
        <strong>Recovery:</strong> {decision.recovery}
      </p>
      {decision.decision_id && (
        <p className="muted">
          Decision <code>{decision.decision_id}</code>
        </p>
      )}
    </div>
  );
}

/** The control API's decision objects use either the gate's or the AuthZEN-ish field names. */
export function toDecision(raw: unknown): Decision | null {
  if (!raw || typeof raw !== 'object') return null;
  const d = raw as Record<string, unknown>;
  const outcome = (d.outcome ?? d.decision) as string | boolean | undefined;
  if (outcome === 'allow' || outcome === true)
    return { outcome: 'allow', decision_id: d.decision_id as string | undefined };
  if (outcome !== 'deny' && outcome !== 'review' && outcome !== false) return null;
  return {
    outcome: outcome === false ? 'deny' : outcome,
    code: String(d.code ?? d.reason ?? 'unknown'),
    message: String(d.message ?? d.reason_admin ?? d.reason_user ?? ''),
    recovery: String(d.recovery ?? ''),
    decision_id: String(d.decision_id ?? ''),
  };
}
