import { useState } from 'react';
import { api, seg } from '../api/client';
import type { App } from '../api/types';
import { AsyncForm, Empty, ErrorBox, Field, Loading, Pager, ShownOnce } from '../components/ui';
import { listPath, SearchBox } from '../components/search';
import { usePaged } from '../hooks';
import { Link } from '../router';

export const words = (s: string) => s.split(/[\s,]+/).filter(Boolean);

/** An org's applications: list and create; the client secret is shown once, at creation. */
export function AppsPanel({ orgId }: { orgId: string }) {
  const [q, setQ] = useState('');
  const list = usePaged<App>(listPath(`/v1/orgs/${seg(orgId)}/apps`, q));
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState('');
  const [audiences, setAudiences] = useState('');
  const [created, setCreated] = useState<{ client_id: string; client_secret: string } | null>(null);

  return (
    <section aria-labelledby="apps">
      <h2 id="apps">Applications</h2>
      <AsyncForm
        label="Create application"
        submit="Create application"
        className="form inline"
        onSubmit={async () => {
          const body: Record<string, unknown> = { name, scopes: words(scopes) };
          if (audiences.trim()) body.audiences = words(audiences);
          const app = await api<App & { client_secret: string }>('POST', `/v1/orgs/${seg(orgId)}/apps`, body);
          setCreated({ client_id: app.client_id, client_secret: app.client_secret });
          setName('');
          setScopes('');
          setAudiences('');
          list.reload();
        }}
      >
        <Field label="Application name">
          {(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Scopes" hint="Space- or comma-separated, e.g. invoices:read invoices:write">
          {(id, hint) => (
            <input
              id={id}
              aria-describedby={hint}
              required
              value={scopes}
              onChange={(e) => setScopes(e.target.value)}
            />
          )}
        </Field>
        <Field
          label="Audiences (optional)"
          hint="Identifiers of registered resources the app may ask tokens for (RFC 8707)"
        >
          {(id, hint) => (
            <input id={id} aria-describedby={hint} value={audiences} onChange={(e) => setAudiences(e.target.value)} />
          )}
        </Field>
      </AsyncForm>
      {created && (
        <>
          <p>
            Client ID: <code data-testid="client-id">{created.client_id}</code>
          </p>
          <ShownOnce label="Client secret" value={created.client_secret} />
        </>
      )}
      <SearchBox label="Search applications" hint="Name or client_id; newest first" onSearch={setQ} />
      {list.state === 'error' && <ErrorBox error={list.error} />}
      {list.state === 'ready' && list.items.length === 0 && (
        <Empty>{q ? `No application matches “${q}”.` : 'No applications in this organization.'}</Empty>
      )}
      {list.items.length > 0 && (
        <div className="table-wrap" role="region" aria-label="Applications table" tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Client ID</th>
                <th scope="col">Scopes</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((a) => (
                <tr key={a.id}>
                  <td>
                    <Link to={`/orgs/${orgId}/apps/${a.id}`}>{a.name}</Link>
                  </td>
                  <td>
                    <code>{a.client_id}</code>
                  </td>
                  <td>{a.scopes.join(' ')}</td>
                  <td>{a.disabled ? 'disabled' : 'active'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.state === 'loading' && <Loading what="Loading applications" />}
      <Pager hasMore={list.hasMore} loadMore={list.loadMore} loading={list.state === 'loading'} />
    </section>
  );
}
