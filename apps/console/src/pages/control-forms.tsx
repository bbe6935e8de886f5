import { useState } from 'react';
import { api, seg } from '../api/client';
import { AsyncForm, Field } from '../components/ui';
import { useMe } from '../session';

const CONTRACT = ['active', 'suspended', 'expired'];
const BILLING = ['trialing', 'active', 'past_due', 'unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'paused'];

/**
 * Changes to an org's control state (docs/console.md#control-layer); each is audited with its
 * reason. Contract, billing and entitlements are the operator's (docs/control.md#who-changes-what):
 * a platform admin changes them here; an org admin asks the operator for a review instead.
 */
export function ControlForms({ base, onChange }: { base: string; onChange: () => void }) {
  const me = useMe();
  return (
    <div className="grid">
      {me.role === 'platform' ? (
        <>
          <StatusForm
            label="Change the contract"
            field="Contract status"
            submit="Set contract status"
            options={CONTRACT}
            initial="suspended"
            onSubmit={(status, reason) => api('PUT', `${base}/contract`, { status, ...reason })}
            onDone={onChange}
          />
          <StatusForm
            label="Change the billing state"
            field="Billing status"
            submit="Set billing status"
            options={BILLING}
            initial="past_due"
            onSubmit={(status, reason) => api('PUT', `${base}/billing`, { status, ...reason })}
            onDone={onChange}
          />
          <EntitlementForm base={base} onChange={onChange} />
        </>
      ) : (
        <ReviewRequestForm base={base} onChange={onChange} />
      )}
      <PolicyForm base={base} onChange={onChange} />
      <PauseForm base={base} onChange={onChange} />
    </div>
  );
}

const REVIEW_SUBJECTS = ['contract', 'billing', 'entitlements', 'package_map', 'pause'];

/** An org admin's request for the operator to review operator-owned state. */
function ReviewRequestForm({ base, onChange }: { base: string; onChange: () => void }) {
  const [subject, setSubject] = useState('contract');
  const [target, setTarget] = useState('');
  const [note, setNote] = useState('');
  return (
    <AsyncForm
      label="Ask the operator for a review"
      submit="Ask for a review"
      onSubmit={async () => {
        await api('POST', `${base}/control/review-requests`, {
          subject,
          ...(target.trim() ? { id: target.trim() } : {}),
          note,
        });
        setNote('');
        onChange();
      }}
    >
      <p>Contract, billing and entitlements are changed by the operator; ask for a review here.</p>
      <Field label="Review of">
        {(id) => (
          <select id={id} value={subject} onChange={(e) => setSubject(e.target.value)}>
            {REVIEW_SUBJECTS.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        )}
      </Field>
      {(subject === 'pause' || subject === 'entitlements') && (
        <Field label={subject === 'pause' ? 'Pause ID' : 'Package'}>
          {(id) => (
            <input id={id} required={subject === 'pause'} value={target} onChange={(e) => setTarget(e.target.value)} />
          )}
        </Field>
      )}
      <Field label="What the operator should know">
        {(id) => <input id={id} required value={note} onChange={(e) => setNote(e.target.value)} />}
      </Field>
    </AsyncForm>
  );
}

function StatusForm(props: {
  label: string;
  field: string;
  submit: string;
  options: string[];
  initial: string;
  onSubmit: (status: string, reason: { reason?: string }) => Promise<unknown>;
  onDone: () => void;
}) {
  const [status, setStatus] = useState(props.initial);
  const [reason, setReason] = useState('');
  return (
    <AsyncForm
      label={props.label}
      submit={props.submit}
      onSubmit={async () => {
        await props.onSubmit(status, reason.trim() ? { reason: reason.trim() } : {});
        setReason('');
        props.onDone();
      }}
    >
      <Field label={props.field}>
        {(id) => (
          <select id={id} value={status} onChange={(e) => setStatus(e.target.value)}>
            {props.options.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={`${props.field}: reason (audited)`}>
        {(id) => <input id={id} value={reason} onChange={(e) => setReason(e.target.value)} />}
      </Field>
    </AsyncForm>
  );
}

function EntitlementForm({ base, onChange }: { base: string; onChange: () => void }) {
  const [pkg, setPkg] = useState('');
  const [status, setStatus] = useState('active');
  return (
    <AsyncForm
      label="Grant or change an entitlement"
      submit="Set entitlement"
      onSubmit={async () => {
        await api('PUT', `${base}/entitlements/${seg(pkg.trim())}`, { status });
        onChange();
      }}
    >
      <Field label="Package" hint="e.g. api, agents">
        {(id, hint) => (
          <input id={id} aria-describedby={hint} required value={pkg} onChange={(e) => setPkg(e.target.value)} />
        )}
      </Field>
      <Field label="Entitlement status">
        {(id) => (
          <select id={id} value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="active">active</option>
            <option value="inactive">inactive</option>
          </select>
        )}
      </Field>
    </AsyncForm>
  );
}

function PolicyForm({ base, onChange }: { base: string; onChange: () => void }) {
  const [version, setVersion] = useState('');
  const [url, setUrl] = useState('');
  return (
    <AsyncForm
      label="Require a policy version"
      submit="Set required policy"
      onSubmit={async () => {
        await api('PUT', `${base}/policy`, {
          required_version: version.trim() || null,
          ...(url.trim() ? { document_url: url.trim() } : {}),
        });
        onChange();
      }}
    >
      <Field label="Required version" hint="Empty: no policy required">
        {(id, hint) => (
          <input id={id} aria-describedby={hint} value={version} onChange={(e) => setVersion(e.target.value)} />
        )}
      </Field>
      <Field label="Policy document URL">
        {(id) => <input id={id} type="url" value={url} onChange={(e) => setUrl(e.target.value)} />}
      </Field>
    </AsyncForm>
  );
}

function PauseForm({ base, onChange }: { base: string; onChange: () => void }) {
  const [type, setType] = useState('org');
  const [target, setTarget] = useState('');
  const [reason, setReason] = useState('');
  return (
    <AsyncForm
      label="Pause for review"
      submit="Pause"
      onSubmit={async () => {
        await api('POST', `${base}/pauses`, {
          target: { type, ...(type !== 'org' && target.trim() ? { id: target.trim() } : {}) },
          reason,
        });
        setReason('');
        onChange();
      }}
    >
      <Field label="What to pause">
        {(id) => (
          <select id={id} value={type} onChange={(e) => setType(e.target.value)}>
            <option value="org">the whole organization</option>
            <option value="app">one application</option>
            <option value="workflow">one workflow or step</option>
          </select>
        )}
      </Field>
      {type !== 'org' && (
        <Field label={type === 'app' ? 'Application client ID' : 'Workflow or step name'}>
          {(id) => <input id={id} required value={target} onChange={(e) => setTarget(e.target.value)} />}
        </Field>
      )}
      <Field label="Why pause">
        {(id) => <input id={id} required value={reason} onChange={(e) => setReason(e.target.value)} />}
      </Field>
    </AsyncForm>
  );
}

/** Resuming needs an operator's review note (docs/control.md). */
export function ResumeForm({ base, pauseId, onChange }: { base: string; pauseId: string; onChange: () => void }) {
  const [note, setNote] = useState('');
  return (
    <AsyncForm
      label={`Resume ${pauseId}`}
      submit="Resume"
      className="form inline"
      onSubmit={async () => {
        await api('POST', `${base}/pauses/${seg(pauseId)}/resume`, { review_note: note });
        onChange();
      }}
    >
      <Field label={`Review note for ${pauseId}`}>
        {(id) => <input id={id} required value={note} onChange={(e) => setNote(e.target.value)} />}
      </Field>
    </AsyncForm>
  );
}
