import { useState } from 'react';
import { api, seg } from '../api/client';
import type { User } from '../api/types';
import { ActionButton, AsyncForm, Confirm, Empty, ErrorBox, Field, Loading, Pager, when } from '../components/ui';
import { listPath, SearchBox } from '../components/search';
import { usePaged } from '../hooks';
import { profileSummary, UserProfileForm } from './user-profile';

/** An org's users: create, edit the profile, disable or enable, end every session. */
export function UsersPanel({ orgId }: { orgId: string }) {
  const base = `/v1/orgs/${seg(orgId)}/users`;
  const [q, setQ] = useState('');
  const list = usePaged<User>(listPath(base, q));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [editing, setEditing] = useState<User | null>(null);

  return (
    <section aria-labelledby="users">
      <h2 id="users">Users</h2>
      <AsyncForm
        label="Create user"
        submit="Create user"
        className="form inline"
        onSubmit={async () => {
          await api('POST', base, { email, password });
          setEmail('');
          setPassword('');
          list.reload();
        }}
      >
        <Field label="User email">
          {(id) => (
            <input
              id={id}
              type="email"
              autoComplete="off"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        <Field label="Initial password">
          {(id) => (
            <input
              id={id}
              type="password"
              autoComplete="new-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
      </AsyncForm>
      <SearchBox label="Search users" hint="Email or ID; newest first" onSearch={setQ} />
      {list.state === 'error' && <ErrorBox error={list.error} />}
      {list.state === 'ready' && list.items.length === 0 && (
        <Empty>{q ? `No user matches “${q}”.` : 'No users in this organization.'}</Empty>
      )}
      {list.items.length > 0 && (
        <div className="table-wrap" role="region" aria-label="Users table" tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">ID</th>
                <th scope="col">Profile</th>
                <th scope="col">Created</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((u) => (
                <tr key={u.id}>
                  <td>{u.email}</td>
                  <td>
                    <code>{u.id}</code>
                  </td>
                  <td>{profileSummary(u)}</td>
                  <td>{when(u.created_at)}</td>
                  <td>{u.disabled ? 'disabled' : 'active'}</td>
                  <td className="actions">
                    <button type="button" className="secondary" onClick={() => setEditing(u)}>
                      Edit profile <span className="sr-only">of {u.email}</span>
                    </button>
                    <ActionButton
                      onClick={async () => {
                        await api('PATCH', `${base}/${seg(u.id)}`, { disabled: !u.disabled });
                        list.reload();
                      }}
                    >
                      {u.disabled ? 'Enable' : 'Disable'} <span className="sr-only">{u.email}</span>
                    </ActionButton>
                    <Confirm
                      trigger={`Revoke sessions of ${u.email}`}
                      title={`Revoke every session of ${u.email}?`}
                      consequence={
                        <p>
                          Every access and refresh token this user holds stops working at once; the user must sign in
                          again.
                        </p>
                      }
                      confirm="Revoke sessions"
                      onConfirm={async () => {
                        await api('POST', `${base}/${seg(u.id)}/revoke-tokens`);
                      }}
                    />
                    <Confirm
                      trigger={`Revoke managed token of ${u.email}`}
                      title={`Revoke the managed token of ${u.email}?`}
                      consequence={
                        <p>
                          The background agents and hosts using this user&apos;s managed token lose access at their next
                          exchange, and the access tokens already exchanged from it stop working. The user&apos;s
                          sign-in sessions are not touched.
                        </p>
                      }
                      confirm="Revoke managed token"
                      onConfirm={async () => {
                        await api('DELETE', `${base}/${seg(u.id)}/managed-token`);
                      }}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {editing && (
        <UserProfileForm
          key={editing.id}
          base={base}
          user={editing}
          onSaved={() => {
            setEditing(null);
            list.reload();
          }}
          onClose={() => setEditing(null)}
        />
      )}
      {list.state === 'loading' && <Loading what="Loading users" />}
      <Pager hasMore={list.hasMore} loadMore={list.loadMore} loading={list.state === 'loading'} />
    </section>
  );
}
