import { useState } from 'react';
import { api, seg } from '../api/client';
import type { Resource } from '../api/types';
import { AsyncForm, Confirm, Empty, ErrorBox, Field, Loading, Pager } from '../components/ui';
import { usePaged } from '../hooks';

/** One scope a line: its name, then (after a space) the description shown on the consent page. */
export function parseScopeLines(text: string): { name: string; description: string }[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const space = l.search(/\s/);
      return space < 0 ? { name: l, description: '' } : { name: l.slice(0, space), description: l.slice(space).trim() };
    });
}

/**
 * An org's registered resources (docs/resources.md): the APIs and MCP servers its tokens may be
 * issued for. Apps name them in their audiences; one that apps still name cannot be deleted.
 */
export function ResourcesPanel({ orgId }: { orgId: string }) {
  const base = `/v1/orgs/${seg(orgId)}/resources`;
  const list = usePaged<Resource>(base);
  const [identifier, setIdentifier] = useState('');
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState('');
  const [ttl, setTtl] = useState('');

  return (
    <section aria-labelledby="resources">
      <h2 id="resources">Resources</h2>
      <p className="muted">
        The APIs and MCP servers tokens may be issued for (RFC 8707). A token for a resource names it as its only
        audience and carries only the scopes it declares.
      </p>
      <AsyncForm
        label="Register resource"
        submit="Register resource"
        className="form"
        onSubmit={async () => {
          const body: Record<string, unknown> = { identifier, name, scopes: parseScopeLines(scopes) };
          if (ttl.trim()) body.token_ttl_s = Number(ttl);
          await api<Resource>('POST', base, body);
          setIdentifier('');
          setName('');
          setScopes('');
          setTtl('');
          list.reload();
        }}
      >
        <Field
          label="Identifier"
          hint="An https URL (http on localhost), compared exactly, e.g. https://mcp.example.com/mcp"
        >
          {(id, hint) => (
            <input
              id={id}
              aria-describedby={hint}
              inputMode="url"
              autoComplete="off"
              required
              value={identifier}
              onChange={(e) => setIdentifier(e.target.value)}
            />
          )}
        </Field>
        <Field label="Resource name">
          {(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Scope list" hint="One a line: the scope, then what it allows, e.g. notes:read Read your notes">
          {(id, hint) => (
            <textarea
              id={id}
              aria-describedby={hint}
              rows={3}
              value={scopes}
              onChange={(e) => setScopes(e.target.value)}
            />
          )}
        </Field>
        <Field label="Token lifetime (optional)" hint="Seconds, 60 to 3600: caps every token for this resource">
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
      </AsyncForm>
      {list.state === 'error' && <ErrorBox error={list.error} />}
      {list.state === 'ready' && list.items.length === 0 && <Empty>No resources registered.</Empty>}
      {list.items.length > 0 && (
        <div className="table-wrap" role="region" aria-label="Resources table" tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Identifier</th>
                <th scope="col">Name</th>
                <th scope="col">Scopes</th>
                <th scope="col">Token lifetime</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((r) => (
                <tr key={r.id}>
                  <td>
                    <code>{r.identifier}</code>
                    {r.legacy && <span className="muted"> (legacy)</span>}
                  </td>
                  <td>{r.name}</td>
                  <td>
                    {r.scopes.length === 0 ? (
                      '—'
                    ) : (
                      <ul className="plain">
                        {r.scopes.map((s) => (
                          <li key={s.name}>
                            <code>{s.name}</code>
                            {s.description && <span className="muted"> {s.description}</span>}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td>{r.token_ttl_s === null ? 'the app’s' : `${r.token_ttl_s} s`}</td>
                  <td className="actions">
                    <Confirm
                      trigger={`Delete resource ${r.name}`}
                      title={`Delete the resource ${r.name}?`}
                      consequence={
                        <p>
                          No new token can be issued for <code>{r.identifier}</code>. Applications that name it in their
                          audiences must drop it first; tokens already issued stay valid until they expire.
                        </p>
                      }
                      confirm="Delete resource"
                      onConfirm={async () => {
                        await api('DELETE', `${base}/${seg(r.id)}`);
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
      {list.state === 'loading' && <Loading what="Loading resources" />}
      <Pager hasMore={list.hasMore} loadMore={list.loadMore} loading={list.state === 'loading'} />
    </section>
  );
}
