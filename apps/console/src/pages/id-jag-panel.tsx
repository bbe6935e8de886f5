import { useState } from 'react';
import { api, seg } from '../api/client';
import type { IdJagAudience, TrustedIssuer } from '../api/types';
import { AsyncForm, Confirm, Empty, ErrorBox, Field, Loading } from '../components/ui';
import { useAsync } from '../hooks';

const words = (text: string) => text.split(/[\s,]+/).filter(Boolean);

/**
 * Enterprise-managed authorization (docs/id-jag.md): the identity providers whose ID-JAGs this
 * organization's apps may present here, and the other authorization servers its apps may get
 * ID-JAGs for. Every rule is the API's; this page only sends what the admin typed.
 */
export function IdJagPanel({ orgId }: { orgId: string }) {
  return (
    <section aria-labelledby="id-jag">
      <h2 id="id-jag">Enterprise access (ID-JAG)</h2>
      <p className="muted">
        Identity Assertion JWT Authorization Grants: an enterprise identity provider vouches for a signed-in user to
        another authorization server, so an agent gets a token there without a second consent.
      </p>
      <TrustedIssuers orgId={orgId} />
      <Audiences orgId={orgId} />
    </section>
  );
}

function TrustedIssuers({ orgId }: { orgId: string }) {
  const base = `/v1/orgs/${seg(orgId)}/trusted-issuers`;
  const list = useAsync(() => api<{ data: TrustedIssuer[] }>('GET', base), [base]);
  const [issuer, setIssuer] = useState('');
  const [keys, setKeys] = useState('');
  const [apps, setApps] = useState('');
  return (
    <>
      <h3 id="trusted-issuers">Trusted identity providers</h3>
      <AsyncForm
        label="Trust an identity provider"
        submit="Trust identity provider"
        className="form"
        onSubmit={async () => {
          const source = keys.trim();
          // A URL is a jwks_uri; anything else is sent as an inline JWK Set for the API to judge.
          const body: Record<string, unknown> = { issuer, allowed_clients: words(apps) };
          if (/^https?:\/\//.test(source)) body.jwks_uri = source;
          else {
            try {
              body.jwks = JSON.parse(source) as unknown;
            } catch {
              throw new Error('Keys: give the jwks_uri (an https URL) or the JWK Set as JSON.');
            }
          }
          await api<TrustedIssuer>('POST', base, body);
          setIssuer('');
          setKeys('');
          setApps('');
          list.reload();
        }}
      >
        <Field label="Issuer" hint="The identity provider's issuer, exactly as it publishes it">
          {(id, hint) => (
            <input
              id={id}
              aria-describedby={hint}
              inputMode="url"
              autoComplete="off"
              required
              value={issuer}
              onChange={(e) => setIssuer(e.target.value)}
            />
          )}
        </Field>
        <Field label="Keys" hint="Its jwks_uri (an https URL), or its public JWK Set as JSON">
          {(id, hint) => (
            <textarea
              id={id}
              aria-describedby={hint}
              rows={2}
              required
              value={keys}
              onChange={(e) => setKeys(e.target.value)}
            />
          )}
        </Field>
        <Field label="Allowed applications" hint="Application ids (app_…) that may present its grants">
          {(id, hint) => (
            <input
              id={id}
              aria-describedby={hint}
              autoComplete="off"
              value={apps}
              onChange={(e) => setApps(e.target.value)}
            />
          )}
        </Field>
      </AsyncForm>
      {list.state === 'loading' && <Loading what="Loading trusted identity providers" />}
      {list.state === 'error' && <ErrorBox error={list.error} />}
      {list.state === 'ready' && list.data.data.length === 0 && <Empty>No identity provider is trusted.</Empty>}
      {list.state === 'ready' && list.data.data.length > 0 && (
        <div className="table-wrap" role="region" aria-label="Trusted identity providers table" tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Issuer</th>
                <th scope="col">Keys</th>
                <th scope="col">Allowed applications</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((i) => (
                <tr key={i.id}>
                  <td>
                    <code>{i.issuer}</code>
                  </td>
                  <td>{i.jwks_uri ? <code>{i.jwks_uri}</code> : `${i.jwks?.keys.length ?? 0} inline key(s)`}</td>
                  <td>{i.allowed_clients.length ? i.allowed_clients.map((a) => <code key={a}>{a} </code>) : '—'}</td>
                  <td className="actions">
                    <Confirm
                      trigger={`Stop trusting ${i.issuer}`}
                      title={`Stop trusting ${i.issuer}?`}
                      consequence={
                        <p>
                          Its grants are refused from now on. Access tokens already issued for them stay valid until
                          they expire.
                        </p>
                      }
                      confirm="Stop trusting"
                      onConfirm={async () => {
                        await api('DELETE', `${base}/${seg(i.id)}`);
                        list.reload();
                      }}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** One mapping a line: the app id here, then its client_id at the other server. */
function parseClients(text: string): { app_id: string; client_id: string }[] {
  return text
    .split('\n')
    .map((l) => words(l))
    .filter((w) => w.length > 0)
    .map(([app_id, client_id]) => ({ app_id: app_id!, client_id: client_id ?? '' }));
}

function Audiences({ orgId }: { orgId: string }) {
  const base = `/v1/orgs/${seg(orgId)}/id-jag-audiences`;
  const list = useAsync(() => api<{ data: IdJagAudience[] }>('GET', base), [base]);
  const [issuer, setIssuer] = useState('');
  const [clients, setClients] = useState('');
  const [scopes, setScopes] = useState('');
  return (
    <>
      <h3 id="id-jag-audiences">Authorization servers our apps may get grants for</h3>
      <AsyncForm
        label="Allow an authorization server"
        submit="Allow authorization server"
        className="form"
        onSubmit={async () => {
          await api<IdJagAudience>('POST', base, { issuer, clients: parseClients(clients), scopes: words(scopes) });
          setIssuer('');
          setClients('');
          setScopes('');
          list.reload();
        }}
      >
        <Field label="Authorization server issuer" hint="The other server's issuer: the audience of the grants">
          {(id, hint) => (
            <input
              id={id}
              aria-describedby={hint}
              inputMode="url"
              autoComplete="off"
              required
              value={issuer}
              onChange={(e) => setIssuer(e.target.value)}
            />
          )}
        </Field>
        <Field label="Client ids there" hint="One a line: the application id here, then its client_id at that server">
          {(id, hint) => (
            <textarea
              id={id}
              aria-describedby={hint}
              rows={2}
              required
              value={clients}
              onChange={(e) => setClients(e.target.value)}
            />
          )}
        </Field>
        <Field label="Permissions they may assert" hint="That server's scopes, separated by spaces">
          {(id, hint) => (
            <input
              id={id}
              aria-describedby={hint}
              autoComplete="off"
              value={scopes}
              onChange={(e) => setScopes(e.target.value)}
            />
          )}
        </Field>
      </AsyncForm>
      {list.state === 'loading' && <Loading what="Loading authorization servers" />}
      {list.state === 'error' && <ErrorBox error={list.error} />}
      {list.state === 'ready' && list.data.data.length === 0 && <Empty>No authorization server is allowed.</Empty>}
      {list.state === 'ready' && list.data.data.length > 0 && (
        <div className="table-wrap" role="region" aria-label="Authorization servers table" tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Issuer</th>
                <th scope="col">Applications (client id there)</th>
                <th scope="col">Scopes</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((a) => (
                <tr key={a.id}>
                  <td>
                    <code>{a.issuer}</code>
                  </td>
                  <td>
                    <ul className="plain">
                      {a.clients.map((c) => (
                        <li key={c.app_id}>
                          <code>{c.app_id}</code> → <code>{c.client_id}</code>
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td>{a.scopes.length ? a.scopes.join(' ') : '—'}</td>
                  <td className="actions">
                    <Confirm
                      trigger={`Stop allowing ${a.issuer}`}
                      title={`Stop allowing ${a.issuer}?`}
                      consequence={
                        <p>No new grant is issued for it; grants already issued expire within five minutes.</p>
                      }
                      confirm="Stop allowing"
                      onConfirm={async () => {
                        await api('DELETE', `${base}/${seg(a.id)}`);
                        list.reload();
                      }}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
