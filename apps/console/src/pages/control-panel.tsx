import { useState } from 'react';
import { ApiError, api, seg } from '../api/client';
import { ActionButton, AsyncForm, Empty, ErrorBox, Field, Loading } from '../components/ui';
import { DecisionView, toDecision } from '../components/decision';
import { Facts } from '../components/facts';
import { useAsync } from '../hooks';

type ControlState = Record<string, unknown> & { decision?: unknown; pauses?: unknown };

interface Pause {
  id: string;
  reason?: string;
  target?: unknown;
}

interface Approval {
  id: string;
  action?: unknown;
  resource?: unknown;
}

/**
 * The control layer's live state for one org (docs/console.md#control-layer): entitlements,
 * contract, billing, policy, pauses and pending approvals, the decision they imply now, and
 * a dry run of a change. It calls GET /v1/orgs/{orgId}/control; a server without the control
 * layer answers 404 and the panel says so.
 */
export function ControlPanel({ orgId }: { orgId: string }) {
  const base = `/v1/orgs/${seg(orgId)}`;
  const state = useAsync(
    () =>
      api<ControlState>('GET', `${base}/control`).catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }),
    [base],
  );

  return (
    <section aria-labelledby="control">
      <h2 id="control">Control layer</h2>
      {state.state === 'loading' && <Loading what="Loading control state" />}
      {state.state === 'error' && <ErrorBox error={state.error} />}
      {state.state === 'ready' && state.data === null && (
        <p className="unavailable" data-testid="control-unavailable">
          The control layer is not available on this server: it answers 404 for <code>GET {base}/control</code>.
          Entitlements, contract, billing, policy, pauses and approvals appear here once it is.
        </p>
      )}
      {state.state === 'ready' && state.data !== null && (
        <ControlDetails base={base} data={state.data} onChange={state.reload} />
      )}
    </section>
  );
}

function ControlDetails({ base, data, onChange }: { base: string; data: ControlState; onChange: () => void }) {
  const decision = toDecision(data.decision);
  const pauses = (Array.isArray(data.pauses) ? data.pauses : []) as Pause[];
  const { decision: _d, ...rest } = data;
  const [contract, setContract] = useState('suspended');
  const [contractReason, setContractReason] = useState('');
  const [pauseReason, setPauseReason] = useState('');
  return (
    <>
      <h3>Decision now</h3>
      {decision ? <DecisionView decision={decision} /> : <Facts value={data.decision} />}
      <h3>State</h3>
      <Facts value={rest} />
      <div className="grid">
        <AsyncForm
          label="Change the contract"
          submit="Set contract status"
          onSubmit={async () => {
            await api('PUT', `${base}/contract`, {
              status: contract,
              ...(contractReason ? { reason: contractReason } : {}),
            });
            onChange();
          }}
        >
          <Field label="Contract status">
            {(id) => (
              <select id={id} value={contract} onChange={(e) => setContract(e.target.value)}>
                <option value="active">active</option>
                <option value="suspended">suspended</option>
                <option value="expired">expired</option>
              </select>
            )}
          </Field>
          <Field label="Reason (audited)">
            {(id) => <input id={id} value={contractReason} onChange={(e) => setContractReason(e.target.value)} />}
          </Field>
        </AsyncForm>
        <AsyncForm
          label="Pause the organization"
          submit="Pause organization"
          onSubmit={async () => {
            await api('POST', `${base}/pauses`, { target: { type: 'org' }, reason: pauseReason });
            setPauseReason('');
            onChange();
          }}
        >
          <Field label="Why pause">
            {(id) => <input id={id} required value={pauseReason} onChange={(e) => setPauseReason(e.target.value)} />}
          </Field>
        </AsyncForm>
      </div>
      {pauses.length > 0 && (
        <>
          <h3>Pauses</h3>
          <ul>
            {pauses.map((p) => (
              <li key={p.id}>
                <code>{p.id}</code> {p.reason}{' '}
                <ActionButton
                  onClick={async () => {
                    const note = window.prompt('Review note for resuming');
                    if (!note) return;
                    await api('POST', `${base}/pauses/${seg(p.id)}/resume`, { review_note: note });
                    onChange();
                  }}
                >
                  Resume <span className="sr-only">{p.id}</span>
                </ActionButton>
              </li>
            ))}
          </ul>
        </>
      )}
      <Approvals base={base} />
      <DryRun base={base} />
    </>
  );
}

function Approvals({ base }: { base: string }) {
  const list = useAsync(() => api<{ data: Approval[] }>('GET', `${base}/approvals?state=pending`), [base]);
  return (
    <>
      <h3>Pending approvals</h3>
      {list.state === 'loading' && <Loading what="Loading approvals" />}
      {list.state === 'error' && <ErrorBox error={list.error} />}
      {list.state === 'ready' && (list.data.data ?? []).length === 0 && <Empty>No pending approvals.</Empty>}
      {list.state === 'ready' && (
        <ul>
          {(list.data.data ?? []).map((a) => (
            <li key={a.id}>
              <code>{a.id}</code> <Facts value={{ action: a.action, resource: a.resource }} />
              {(['approve', 'reject'] as const).map((verb) => (
                <ActionButton
                  key={verb}
                  onClick={async () => {
                    await api('POST', `${base}/approvals/${seg(a.id)}/${verb}`, { note: `${verb}d in the console` });
                    list.reload();
                  }}
                >
                  {verb === 'approve' ? 'Approve' : 'Reject'} <span className="sr-only">{a.id}</span>
                </ActionButton>
              ))}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function DryRun({ base }: { base: string }) {
  const [change, setChange] = useState('{\n  "contract": { "status": "suspended" }\n}');
  const [result, setResult] = useState<unknown>(null);
  return (
    <>
      <h3>Dry run</h3>
      <AsyncForm
        label="Dry run a change"
        submit="Simulate"
        onSubmit={async () => {
          let body: unknown;
          try {
            body = JSON.parse(change);
          } catch {
            throw new Error('The proposed change is not valid JSON.');
          }
          setResult(await api('POST', `${base}/control/simulate`, body));
        }}
      >
        <Field label="Proposed change (JSON)" hint="What would stop if this change were applied">
          {(id, hint) => (
            <textarea
              id={id}
              aria-describedby={hint}
              rows={4}
              value={change}
              onChange={(e) => setChange(e.target.value)}
            />
          )}
        </Field>
      </AsyncForm>
      {result !== null && <Facts value={result} />}
    </>
  );
}
