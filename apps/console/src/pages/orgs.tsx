import { useState } from 'react';
import { api } from '../api/client';
import type { Org } from '../api/types';
import { AsyncForm, Empty, ErrorBox, Field, Loading, Pager, when } from '../components/ui';
import { listPath, SearchBox } from '../components/search';
import { usePaged } from '../hooks';
import { Link, navigate } from '../router';
import { useMe } from '../session';

/** Organizations: the list the caller may see (the API scopes it) and, for platform admins, create. */
export function OrgsPage() {
  const me = useMe();
  const [q, setQ] = useState('');
  const list = usePaged<Org>(listPath('/v1/orgs', q));
  const [name, setName] = useState('');
  const [display, setDisplay] = useState('');

  return (
    <>
      {me.role === 'platform' && (
        <section aria-labelledby="new-org">
          <h2 id="new-org">New organization</h2>
          <AsyncForm
            label="Create organization"
            submit="Create organization"
            className="form inline"
            onSubmit={async () => {
              const org = await api<Org>('POST', '/v1/orgs', { name, display_name: display });
              navigate(`/orgs/${org.id}`);
            }}
          >
            <Field label="Slug" hint="3–63 lower-case letters, digits and inner hyphens">
              {(id, hint) => (
                <input
                  id={id}
                  aria-describedby={hint}
                  required
                  value={name}
                  onChange={(e) => setName(e.target.value)}
                />
              )}
            </Field>
            <Field label="Display name">
              {(id) => <input id={id} required value={display} onChange={(e) => setDisplay(e.target.value)} />}
            </Field>
          </AsyncForm>
        </section>
      )}
      <section aria-labelledby="org-list">
        <h2 id="org-list">Organizations</h2>
        <SearchBox label="Search organizations" hint="Name, slug or ID; newest first" onSearch={setQ} />
        {list.state === 'error' && <ErrorBox error={list.error} />}
        {list.state === 'ready' && list.items.length === 0 && (
          <Empty>{q ? `No organization matches “${q}”.` : 'No organizations yet.'}</Empty>
        )}
        {list.items.length > 0 && (
          <div className="table-wrap" role="region" aria-label="Organizations table" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Slug</th>
                  <th scope="col">ID</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {list.items.map((o) => (
                  <tr key={o.id}>
                    <td>
                      <Link to={`/orgs/${o.id}`}>{o.display_name}</Link>
                    </td>
                    <td>{o.name}</td>
                    <td>
                      <code>{o.id}</code>
                    </td>
                    <td>{when(o.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {list.state === 'loading' && <Loading what="Loading organizations" />}
        <Pager hasMore={list.hasMore} loadMore={list.loadMore} loading={list.state === 'loading'} />
      </section>
    </>
  );
}
