import {
  browserSupportsWebAuthn,
  startRegistration,
  type PublicKeyCredentialCreationOptionsJSON,
} from '@simplewebauthn/browser';
import { useId, useState, type FormEvent } from 'react';
import { api, seg } from '../api/client';
import { ActionButton, Confirm, Empty, ErrorBox, Loading, when } from '../components/ui';
import { useAsync } from '../hooks';

/** A passkey as `/v1/me/passkeys` lists it (docs/sign-in-experience.md#passkeys). */
interface Passkey {
  id: string;
  name: string;
  device_type: string;
  backed_up: boolean;
  transports: string[];
  created_at: string;
  last_used_at: string | null;
}

/**
 * The signed-in administrator's own passkeys (docs/console.md#passkeys): register one with
 * this browser's WebAuthn, rename, delete — through `/v1/me/passkeys`, as any client of the
 * API would. The browser must be on a WebAuthn origin of Gatehouse (GATEHOUSE_WEBAUTHN_ORIGINS).
 */
export function PasskeysPage() {
  const list = useAsync(() => api<Passkey[]>('GET', '/v1/me/passkeys'), []);
  const supported = typeof window !== 'undefined' && browserSupportsWebAuthn();
  return (
    <>
      <section aria-labelledby="add-passkey">
        <h2 id="add-passkey">Add a passkey</h2>
        <p>
          A passkey lives on this device, in a password manager or on a security key. Give it a name you will recognise.
        </p>
        {supported ? (
          <Register onAdded={list.reload} />
        ) : (
          <p className="empty">This browser cannot create passkeys here.</p>
        )}
      </section>
      <section aria-labelledby="your-passkeys">
        <h2 id="your-passkeys">Your passkeys</h2>
        {list.state === 'loading' && <Loading what="Loading passkeys" />}
        {list.state === 'error' && <ErrorBox error={list.error} />}
        {list.state === 'ready' &&
          (list.data.length === 0 ? (
            <Empty>No passkeys yet.</Empty>
          ) : (
            <div className="table-wrap" role="region" aria-label="Passkeys table" tabIndex={0}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Added</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.map((p) => (
                    <PasskeyRow key={p.id} passkey={p} onChange={list.reload} />
                  ))}
                </tbody>
              </table>
            </div>
          ))}
      </section>
    </>
  );
}

function Register({ onAdded }: { onAdded: () => void }) {
  const id = useId();
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [added, setAdded] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setAdded(null);
    (async () => {
      const options = await api<PublicKeyCredentialCreationOptionsJSON>('POST', '/v1/me/passkeys/registration-options');
      const response = await startRegistration({ optionsJSON: options });
      const created = await api<Passkey>('POST', '/v1/me/passkeys', {
        response,
        ...(name.trim() ? { name: name.trim() } : {}),
      });
      setAdded(created.name);
      setName('');
      onAdded();
    })()
      .catch(setError)
      .finally(() => setBusy(false));
  };
  return (
    <form onSubmit={submit}>
      <label htmlFor={id}>Passkey name</label>
      <input id={id} value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
      <button type="submit" disabled={busy}>
        Add a passkey
      </button>
      {added && <p role="status">Passkey “{added}” added.</p>}
      <ErrorBox error={error} />
    </form>
  );
}

function PasskeyRow({ passkey: p, onChange }: { passkey: Passkey; onChange: () => void }) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(p.name);
  const id = useId();
  return (
    <tr data-passkey={p.id}>
      <td>
        {editing ? (
          <>
            <label htmlFor={id} className="sr-only">
              New name for {p.name}
            </label>
            <input id={id} value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
          </>
        ) : (
          p.name
        )}
      </td>
      <td>
        {p.device_type === 'multiDevice' ? 'synced' : 'this device only'}
        {p.backed_up ? ', backed up' : ''}
      </td>
      <td>{when(p.created_at)}</td>
      <td>{when(p.last_used_at)}</td>
      <td>
        {editing ? (
          <ActionButton
            onClick={async () => {
              await api('PATCH', `/v1/me/passkeys/${seg(p.id)}`, { name: name.trim() });
              setEditing(false);
              onChange();
            }}
          >
            Save<span className="sr-only"> {p.name}</span>
          </ActionButton>
        ) : (
          <button type="button" onClick={() => setEditing(true)}>
            Rename<span className="sr-only"> {p.name}</span>
          </button>
        )}
        <Confirm
          trigger={
            <>
              Delete<span className="sr-only"> {p.name}</span>
            </>
          }
          title={`Delete the passkey “${p.name}”?`}
          consequence="You can no longer sign in with it. The credential stays on the device until you remove it there."
          confirm="Delete passkey"
          onConfirm={async () => {
            await api('DELETE', `/v1/me/passkeys/${seg(p.id)}`);
            onChange();
          }}
        />
      </td>
    </tr>
  );
}
