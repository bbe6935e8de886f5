import { useState, type ReactNode } from 'react';
import { api, seg } from '../api/client';
import type { IdJagAudience, TrustedIssuer } from '../api/types';
import { AsyncForm, Confirm, Empty, ErrorBox, Field, Loading } from '../components/ui';
import { useAsync, type Async } from '../hooks';

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
        <TextField
          label="Issuer"
          hint="The identity provider's issuer, exactly as it publishes it"
          url
          required
          value={issuer}
          onChange={setIssuer}
        />
        <TextField
          label="Keys"
          hint="Its jwks_uri (an https URL), or its public JWK Set as JSON"
          multiline
          required
          value={keys}
          onChange={setKeys}
        />
        <TextField
          label="Allowed applications"
          hint="Application ids (app_…) that may present its grants"
          value={apps}
          onChange={setApps}
        />
      </AsyncForm>
      <RuleList
        list={list}
        loading="Loading trusted identity providers"
        empty="No identity provider is trusted."
        region="Trusted identity providers table"
        columns={['Issuer', 'Keys', 'Allowed applications']}
        row={(i) => (
          <>
            <td>
              <code>{i.issuer}</code>
            </td>
            <td>{i.jwks_uri ? <code>{i.jwks_uri}</code> : `${i.jwks?.keys.length ?? 0} inline key(s)`}</td>
            <td>{i.allowed_clients.length ? i.allowed_clients.map((a) => <code key={a}>{a} </code>) : '—'}</td>
          </>
        )}
        remove={(i) => (
          <Confirm
            trigger={`Stop trusting ${i.issuer}`}
            title={`Stop trusting ${i.issuer}?`}
            consequence={
              <p>
                Its grants are refused from now on. Access tokens already issued for them stay valid until they expire.
              </p>
            }
            confirm="Stop trusting"
            onConfirm={async () => {
              await api('DELETE', `${base}/${seg(i.id)}`);
              list.reload();
            }}
          />
        )}
      />
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
        <TextField
          label="Authorization server issuer"
          hint="The other server's issuer: the audience of the grants"
          url
          required
          value={issuer}
          onChange={setIssuer}
        />
        <TextField
          label="Client ids there"
          hint="One a line: the application id here, then its client_id at that server"
          multiline
          required
          value={clients}
          onChange={setClients}
        />
        <TextField
          label="Permissions they may assert"
          hint="That server's scopes, separated by spaces"
          value={scopes}
          onChange={setScopes}
        />
      </AsyncForm>
      <RuleList
        list={list}
        loading="Loading authorization servers"
        empty="No authorization server is allowed."
        region="Authorization servers table"
        columns={['Issuer', 'Applications (client id there)', 'Scopes']}
        row={(a) => (
          <>
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
          </>
        )}
        remove={(a) => (
          <Confirm
            trigger={`Stop allowing ${a.issuer}`}
            title={`Stop allowing ${a.issuer}?`}
            consequence={<p>No new grant is issued for it; grants already issued expire within five minutes.</p>}
            confirm="Stop allowing"
            onConfirm={async () => {
              await api('DELETE', `${base}/${seg(a.id)}`);
              list.reload();
            }}
          />
        )}
      />
    </>
  );
}

/** A text input (or, `multiline`, a two-row textarea) with its label and hint. */
function TextField(props: {
  label: string;
  hint: string;
  value: string;
  onChange: (value: string) => void;
  url?: boolean;
  required?: boolean;
  multiline?: boolean;
}) {
  const { label, hint, value, onChange, url, required, multiline } = props;
  return (
    <Field label={label} hint={hint}>
      {(id, hintId) =>
        multiline ? (
          <textarea
            id={id}
            aria-describedby={hintId}
            rows={2}
            required={required}
            value={value}
            onChange={(e) => onChange(e.target.value)}
          />
        ) : (
          <input
            id={id}
            aria-describedby={hintId}
            inputMode={url ? 'url' : undefined}
            autoComplete="off"
            required={required}
            value={value}
            onChange={(e) => onChange(e.target.value)}
          />
        )
      }
    </Field>
  );
}

/** A loaded list of rules as a table: one row each, its cells and a removal at the end. */
function RuleList<T extends { id: string }>(props: {
  list: Async<{ data: T[] }>;
  loading: string;
  empty: string;
  region: string;
  columns: string[];
  row: (item: T) => ReactNode;
  remove: (item: T) => ReactNode;
}) {
  const { list, loading, empty, region, columns, row, remove } = props;
  if (list.state === 'loading') return <Loading what={loading} />;
  if (list.state === 'error') return <ErrorBox error={list.error} />;
  if (list.data.data.length === 0) return <Empty>{empty}</Empty>;
  return (
    <div className="table-wrap" role="region" aria-label={region} tabIndex={0}>
      <table>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {list.data.data.map((item) => (
            <tr key={item.id}>
              {row(item)}
              <td className="actions">{remove(item)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
