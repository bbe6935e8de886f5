import { useState } from 'react';
import { ApiError, api, seg } from '../api/client';
import { ActionButton, AsyncForm, Empty, ErrorBox, Field, Loading } from '../components/ui';
import { ControlForms, ResumeForm } from './control-forms';
import { DecisionView, toDecision } from '../components/decision';
import { Facts } from '../components/facts';
import { useAsync } from '../hooks';
import { useMe } from '../session';

type ControlState = Record<string, unknown> & { decision?: unknown; pauses?: unknown };

interface Pause {
  id: string;
  imposed_by?: string;
  [field: string]: unknown;
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
  const me = useMe();
  const decision = toDecision(data.decision);
  const pauses = (Array.isArray(data.pauses) ? data.pauses : []) as Pause[];
  const { decision: _d, pauses: _p, ...rest } = data;
  return (
    <>
      <h3>Decision now</h3>
      {decision ? <DecisionView decision={decision} /> : <Facts value={data.decision} />}
      <h3>State</h3>
      <Facts value={rest} />
      <h3>Pauses</h3>
      {pauses.length === 0 && <Empty>Nothing is paused.</Empty>}
      <ul className="pauses">
        {pauses.map((p) => (
          <li key={p.id}>
            <Facts value={p} />
            {/* docs/control.md#who-changes-what: an operator's pause is the operator's to resume. */}
            {(me.role === 'platform' || p.imposed_by !== 'operator') && (
              <ResumeForm base={base} pauseId={p.id} onChange={onChange} />
            )}
          </li>
        ))}
      </ul>
      <h3>Change the state</h3>
      <ControlForms base={base} onChange={onChange} />
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
