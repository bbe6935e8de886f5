import { useState } from 'react';
import { api, seg } from '../api/client';
import type { Org } from '../api/types';
import { AsyncForm, Confirm, ErrorBox, Field, Loading } from '../components/ui';
import { useAsync } from '../hooks';
import { navigate } from '../router';
import { AppsPanel } from './apps-panel';
import { ControlPanel } from './control-panel';
import { IdJagPanel } from './id-jag-panel';
import { ResourcesPanel } from './resources-panel';
import { SelfRegisteredClientsPanel } from './self-registered-clients-panel';
import { UsersPanel } from './users-panel';

/** One organization: its settings, resources, applications, users, ID-JAG trust and control-layer state. */
export function OrgPage({ orgId }: { orgId: string }) {
  const org = useAsync(() => api<Org>('GET', `/v1/orgs/${seg(orgId)}`), [orgId]);
  if (org.state === 'loading') return <Loading what="Loading organization" />;
  if (org.state === 'error') return <ErrorBox error={org.error} />;
  return (
    <>
      <OrgSettings org={org.data} onSaved={org.reload} />
      <ResourcesPanel orgId={orgId} />
      <AppsPanel orgId={orgId} />
      <SelfRegisteredClientsPanel orgId={orgId} />
      <UsersPanel orgId={orgId} />
      <IdJagPanel orgId={orgId} />
      <ControlPanel orgId={orgId} />
    </>
  );
}

function OrgSettings({ org, onSaved }: { org: Org; onSaved: () => void }) {
  const [name, setName] = useState(org.name);
  const [display, setDisplay] = useState(org.display_name);
  return (
    <section aria-labelledby="org-settings">
      <h2 id="org-settings">
        {org.display_name} <code className="muted">{org.id}</code>
      </h2>
      <AsyncForm
        label="Edit organization"
        submit="Save"
        className="form inline"
        onSubmit={async () => {
          const patch: Record<string, string> = {};
          if (name !== org.name) patch.name = name;
          if (display !== org.display_name) patch.display_name = display;
          await api('PATCH', `/v1/orgs/${seg(org.id)}`, patch);
          onSaved();
        }}
      >
        <Field label="Slug">
          {(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Display name">
          {(id) => <input id={id} required value={display} onChange={(e) => setDisplay(e.target.value)} />}
        </Field>
      </AsyncForm>
      <Confirm
        trigger="Delete organization"
        title={`Delete ${org.display_name}?`}
        consequence={
          <p>
            Every application and user of <strong>{org.name}</strong> is deleted, and their tokens stop working at once.
            This cannot be undone.
          </p>
        }
        confirm="Delete it"
        onConfirm={async () => {
          await api('DELETE', `/v1/orgs/${seg(org.id)}`);
          navigate('/orgs');
        }}
      />
    </section>
  );
}
