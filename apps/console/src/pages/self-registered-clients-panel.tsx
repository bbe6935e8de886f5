import { api, seg } from '../api/client';
import type { ExternalClient } from '../api/types';
import { ActionButton, Empty, ErrorBox, Loading } from '../components/ui';
import { useAsync } from '../hooks';

function hostsOf(uris: string[]): string {
  const hosts = uris.map((u) => {
    try {
      const url = new URL(u);
      return url.host || url.protocol.slice(0, -1);
    } catch {
      return u;
    }
  });
  return [...new Set(hosts)].join(', ') || '—';
}

/**
 * The self-registered clients (Client ID Metadata Documents and dynamic registrations) an org
 * has seen sign-ins from (docs/client-registration.md#blocking): who they say they are, where
 * they redirect, whether users consented, and a block the resolver applies before fetching.
 */
export function SelfRegisteredClientsPanel({ orgId }: { orgId: string }) {
  const base = `/v1/orgs/${seg(orgId)}/client-registration/clients`;
  const list = useAsync(() => api<{ items: ExternalClient[] }>('GET', base), [base]);
  const act = async (action: 'block' | 'unblock', clientId: string) => {
    await api('POST', `${base}/${action}`, { client_id: clientId });
    list.reload();
  };
  return (
    <section aria-labelledby="self-registered-clients">
      <h2 id="self-registered-clients">Self-registered clients</h2>
      <p className="muted">
        Clients identified by a metadata-document URL or registered dynamically. The name is the client’s own claim; the
        redirect hosts are where sign-ins return to.
      </p>
      {list.state === 'loading' && <Loading what="Loading clients" />}
      {list.state === 'error' && <ErrorBox error={list.error} />}
      {list.state === 'ready' && list.data.items.length === 0 && <Empty>No self-registered clients yet.</Empty>}
      {list.state === 'ready' && list.data.items.length > 0 && (
        <div className="table-wrap" role="region" aria-label="Self-registered clients table" tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Client</th>
                <th scope="col">Redirect hosts</th>
                <th scope="col">Consented</th>
                <th scope="col">Status</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((c) => (
                <tr key={c.client_id}>
                  <td>
                    {c.client_name ?? '—'}{' '}
                    <span className="muted">({c.kind === 'dynamic' ? 'registered' : 'URL'})</span>
                    <br />
                    <code>{c.client_id}</code>
                  </td>
                  <td>{hostsOf(c.redirect_uris)}</td>
                  <td>{c.consented_at ? new Date(c.consented_at).toLocaleString() : 'no'}</td>
                  <td>{c.blocked_at ? 'blocked' : 'allowed'}</td>
                  <td className="actions">
                    {c.blocked_at ? (
                      <ActionButton onClick={() => act('unblock', c.client_id)}>
                        Unblock {c.client_name ?? c.client_id}
                      </ActionButton>
                    ) : (
                      <ActionButton className="danger" onClick={() => act('block', c.client_id)}>
                        Block {c.client_name ?? c.client_id}
                      </ActionButton>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
