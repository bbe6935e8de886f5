import { useState } from 'react';
import { api, seg } from '../api/client';
import type { App, Secret } from '../api/types';
import { ActionButton, AsyncForm, Confirm, Empty, ErrorBox, Field, Loading, ShownOnce, when } from '../components/ui';
import { useAsync } from '../hooks';
import { Link, navigate } from '../router';
import { ClientAuthentication } from './app-client-auth';
import { AppBrowserSignIn } from './app-browser-sign-in';
import { words } from './apps-panel';

/** One application: scopes, audiences, limits; client authentication and keys; secret rotation with an overlap; disable; delete. */
export function AppPage({ orgId, appId }: { orgId: string; appId: string }) {
  const base = `/v1/orgs/${seg(orgId)}/apps/${seg(appId)}`;
  const app = useAsync(() => api<App>('GET', base), [base]);
  if (app.state === 'loading') return <Loading what="Loading application" />;
  if (app.state === 'error') return <ErrorBox error={app.error} />;
  const a = app.data;
  return (
    <>
      <p>
        <Link to={`/orgs/${orgId}`}>← Back to the organization</Link>
      </p>
      <AppSettings base={base} app={a} onSaved={app.reload} />
      <ClientAuthentication base={base} app={a} onSaved={app.reload} />
      <AppBrowserSignIn key={`sign-in-${a.client_id}`} base={base} app={a} onSaved={app.reload} />
      <Secrets base={base} keysOnly={a.token_endpoint_auth_method === 'private_key_jwt'} />
      <section aria-labelledby="danger">
        <h2 id="danger">Disable or delete</h2>
        <div className="row">
          <ActionButton
            onClick={async () => {
              await api('PATCH', base, { disabled: !a.disabled });
              app.reload();
            }}
          >
            {a.disabled ? 'Enable application' : 'Disable application'}
          </ActionButton>
          <Confirm
            trigger="Delete application"
            title={`Delete ${a.name}?`}
            consequence={
              <p>The app's secrets and every token it or its users hold stop working at once. This cannot be undone.</p>
            }
            confirm="Delete it"
            onConfirm={async () => {
              await api('DELETE', base);
              navigate(`/orgs/${orgId}`);
            }}
          />
        </div>
      </section>
    </>
  );
}

function AppSettings({ base, app, onSaved }: { base: string; app: App; onSaved: () => void }) {
  const [name, setName] = useState(app.name);
  const [scopes, setScopes] = useState(app.scopes.join(' '));
  const [audiences, setAudiences] = useState(app.audiences.join(' '));
  const [ttl, setTtl] = useState(String(app.token_ttl_s));
  const [rate, setRate] = useState(String(app.rate_limit.requests));
  const [tokenRate, setTokenRate] = useState(String(app.token_rate_limit.requests));
  const [delegates, setDelegates] = useState((app.delegates ?? []).join(' '));
  return (
    <section aria-labelledby="app-settings">
      <h2 id="app-settings">
        {app.name} <code className="muted">{app.client_id}</code>{' '}
        {app.disabled && <span className="badge warn">disabled</span>}
      </h2>
      <dl className="facts">
        <dt>Grant types</dt>
        <dd>{app.grant_types.join(', ')}</dd>
        {app.packages && (
          <>
            <dt>Packages</dt>
            <dd>{app.packages.join(', ') || 'none'}</dd>
          </>
        )}
      </dl>
      <AsyncForm
        label="Edit application"
        submit="Save application"
        onSubmit={async () => {
          await api('PATCH', base, {
            name,
            scopes: words(scopes),
            audiences: words(audiences),
            token_ttl_s: Number(ttl),
            rate_limit: { requests: Number(rate), per_seconds: app.rate_limit.per_seconds },
            token_rate_limit: { requests: Number(tokenRate), per_seconds: app.token_rate_limit.per_seconds },
            // Servers without token exchange have no delegates field; send it only where it exists.
            ...(app.delegates !== undefined ? { delegates: words(delegates) } : {}),
          });
          onSaved();
        }}
      >
        <Field label="Name">
          {(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Scopes">
          {(id) => <input id={id} required value={scopes} onChange={(e) => setScopes(e.target.value)} />}
        </Field>
        <Field label="Audiences" hint="Identifiers of the org's registered resources, space-separated">
          {(id, hint) => (
            <input id={id} aria-describedby={hint} value={audiences} onChange={(e) => setAudiences(e.target.value)} />
          )}
        </Field>
        <Field label="Access token lifetime (seconds)" hint="60–3600">
          {(id, hint) => (
            <input
              id={id}
              aria-describedby={hint}
              type="number"
              min={60}
              max={3600}
              value={ttl}
              onChange={(e) => setTtl(e.target.value)}
            />
          )}
        </Field>
        <Field label={`Requests per ${app.rate_limit.per_seconds} s per token`}>
          {(id) => <input id={id} type="number" min={1} value={rate} onChange={(e) => setRate(e.target.value)} />}
        </Field>
        <Field label={`Token requests per ${app.token_rate_limit.per_seconds} s at /oauth/token`}>
          {(id) => (
            <input id={id} type="number" min={1} value={tokenRate} onChange={(e) => setTokenRate(e.target.value)} />
          )}
        </Field>
        {app.delegates !== undefined && (
          <Field label="Delegates" hint="Application IDs of this org that may exchange this app's tokens (RFC 8693)">
            {(id, hint) => (
              <input id={id} aria-describedby={hint} value={delegates} onChange={(e) => setDelegates(e.target.value)} />
            )}
          </Field>
        )}
      </AsyncForm>
    </section>
  );
}

function Secrets({ base, keysOnly }: { base: string; keysOnly: boolean }) {
  const list = useAsync(() => api<{ data: Secret[] }>('GET', `${base}/secrets`), [base]);
  const [overlap, setOverlap] = useState('86400');
  const [fresh, setFresh] = useState<string | null>(null);
  return (
    <section aria-labelledby="secrets">
      <h2 id="secrets">Client secrets</h2>
      {keysOnly && (
        <p className="muted" data-testid="secrets-unused">
          This application authenticates with private_key_jwt: client secrets are not accepted.
        </p>
      )}
      <AsyncForm
        label="Rotate the client secret"
        submit="Rotate secret"
        className="form inline"
        onSubmit={async () => {
          const r = await api<{ client_secret: string }>('POST', `${base}/secrets`, {
            previous_expires_in_s: Number(overlap),
          });
          setFresh(r.client_secret);
          list.reload();
        }}
      >
        <Field label="Overlap: the old secrets keep working for (seconds)" hint="0 ends them at once">
          {(id, hint) => (
            <input
              id={id}
              aria-describedby={hint}
              type="number"
              min={0}
              max={2592000}
              value={overlap}
              onChange={(e) => setOverlap(e.target.value)}
            />
          )}
        </Field>
      </AsyncForm>
      {fresh && <ShownOnce label="New client secret" value={fresh} />}
      {list.state === 'loading' && <Loading what="Loading secrets" />}
      {list.state === 'error' && <ErrorBox error={list.error} />}
      {list.state === 'ready' && list.data.data.length === 0 && (
        <Empty>{keysOnly ? 'No secrets.' : 'No secrets: the app cannot authenticate.'}</Empty>
      )}
      {list.state === 'ready' && list.data.data.length > 0 && (
        <div className="table-wrap" role="region" aria-label="Client secrets table" tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Secret ID</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((s) => (
                <tr key={s.id}>
                  <td>
                    <code>{s.id}</code>
                  </td>
                  <td>{when(s.created_at)}</td>
                  <td>{when(s.expires_at)}</td>
                  <td>{s.active ? 'active' : s.revoked_at ? 'revoked' : 'expired'}</td>
                  <td>
                    {s.active && (
                      <Confirm
                        trigger={`Revoke ${s.id}`}
                        title="Revoke this secret?"
                        consequence={<p>Clients still using it fail to authenticate from now on.</p>}
                        confirm="Revoke secret"
                        onConfirm={async () => {
                          await api('DELETE', `${base}/secrets/${seg(s.id)}`);
                          list.reload();
                        }}
                      />
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
