import { useState } from 'react';
import { api } from '../api/client';
import type { App, TokenEndpointAuthMethod } from '../api/types';
import { AsyncForm, Field } from '../components/ui';

const METHODS: { value: TokenEndpointAuthMethod; label: string }[] = [
  { value: 'client_secret_basic', label: 'Client secret (HTTP Basic or form)' },
  { value: 'client_secret_post', label: 'Client secret (form or HTTP Basic)' },
  { value: 'private_key_jwt', label: 'Private key JWT (no shared secret)' },
];

/**
 * How the app authenticates (docs/client-authentication.md): the method, its public keys
 * (an inline JWK Set or a jwks_uri) and its DPoP requirements. The API validates the keys;
 * this form only sends what was typed.
 */
export function ClientAuthentication({ base, app, onSaved }: { base: string; app: App; onSaved: () => void }) {
  const [method, setMethod] = useState<TokenEndpointAuthMethod>(
    app.token_endpoint_auth_method ?? 'client_secret_basic',
  );
  const [source, setSource] = useState<'jwks' | 'jwks_uri'>(app.jwks_uri ? 'jwks_uri' : 'jwks');
  const [jwks, setJwks] = useState(app.jwks ? JSON.stringify(app.jwks, null, 2) : '');
  const [jwksUri, setJwksUri] = useState(app.jwks_uri ?? '');
  const [bound, setBound] = useState(Boolean(app.dpop_bound_access_tokens));
  const [nonce, setNonce] = useState(Boolean(app.dpop_nonce_required));
  if (app.token_endpoint_auth_method === undefined) return null; // a server without client keys
  return (
    <section aria-labelledby="client-auth">
      <h2 id="client-auth">Client authentication</h2>
      <AsyncForm
        label="Client authentication"
        submit="Save authentication"
        onSubmit={async () => {
          let keys: unknown;
          if (source === 'jwks' && jwks.trim()) {
            try {
              keys = JSON.parse(jwks);
            } catch {
              throw new Error('The JWK Set is not valid JSON.');
            }
          }
          await api('PATCH', base, {
            token_endpoint_auth_method: method,
            ...(source === 'jwks_uri' && jwksUri.trim()
              ? { jwks_uri: jwksUri.trim() }
              : keys !== undefined
                ? { jwks: keys }
                : {}),
            dpop_bound_access_tokens: bound,
            dpop_nonce_required: nonce,
          });
          onSaved();
        }}
      >
        <Field label="Method" hint="A private_key_jwt app never accepts a client secret">
          {(id, hint) => (
            <select
              id={id}
              aria-describedby={hint}
              value={method}
              onChange={(e) => setMethod(e.target.value as TokenEndpointAuthMethod)}
            >
              {METHODS.map((m) => (
                <option key={m.value} value={m.value}>
                  {m.value}: {m.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <fieldset className="choices">
          <legend>Public keys</legend>
          <label className="choice">
            <input type="radio" name="key-source" checked={source === 'jwks'} onChange={() => setSource('jwks')} />{' '}
            Registered here
          </label>
          <label className="choice">
            <input
              type="radio"
              name="key-source"
              checked={source === 'jwks_uri'}
              onChange={() => setSource('jwks_uri')}
            />{' '}
            Fetched from a URL
          </label>
        </fieldset>
        {source === 'jwks' ? (
          <Field label="JWK Set" hint='{"keys": [...]}: public RSA, EC P-256 or Ed25519 keys only'>
            {(id, hint) => (
              <textarea
                id={id}
                aria-describedby={hint}
                rows={6}
                spellCheck={false}
                value={jwks}
                onChange={(e) => setJwks(e.target.value)}
              />
            )}
          </Field>
        ) : (
          <Field label="JWK Set URL" hint="https; fetched with redirects refused and private addresses blocked">
            {(id, hint) => (
              <input
                id={id}
                aria-describedby={hint}
                type="url"
                value={jwksUri}
                onChange={(e) => setJwksUri(e.target.value)}
              />
            )}
          </Field>
        )}
        <div className="field">
          <label className="choice">
            <input type="checkbox" checked={bound} onChange={(e) => setBound(e.target.checked)} /> Require DPoP-bound
            access tokens
          </label>
          <label className="choice">
            <input type="checkbox" checked={nonce} onChange={(e) => setNonce(e.target.checked)} /> Require a server
            nonce in DPoP proofs
          </label>
        </div>
      </AsyncForm>
    </section>
  );
}
