import { useState } from 'react';
import { api } from '../api/client';
import type { App } from '../api/types';
import { AsyncForm, Field } from '../components/ui';

const CODE_GRANT = 'authorization_code';
const lines = (s: string) =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
const orNull = (s: string) => (s.trim() ? s.trim() : null);

/**
 * Browser sign-in for one app: redirect URIs, client type, PKCE, consent, the consent page's
 * links, the authorization_code grant and the legacy password endpoint's opt-in. The API
 * validates every field; its problem (each field named) is shown under the form.
 */
export function AppBrowserSignIn({ base, app, onSaved }: { base: string; app: App; onSaved: () => void }) {
  const f = app;
  const [redirects, setRedirects] = useState((f.redirect_uris ?? []).join('\n'));
  const [logoutRedirects, setLogoutRedirects] = useState((f.post_logout_redirect_uris ?? []).join('\n'));
  const [clientType, setClientType] = useState(f.client_type ?? 'confidential');
  const [requirePkce, setRequirePkce] = useState(f.require_pkce ?? true);
  const [firstParty, setFirstParty] = useState(f.consent === 'first_party');
  const [logo, setLogo] = useState(f.logo_uri ?? '');
  const [home, setHome] = useState(f.client_uri ?? '');
  const [policy, setPolicy] = useState(f.policy_uri ?? '');
  const [terms, setTerms] = useState(f.tos_uri ?? '');
  const [codeGrant, setCodeGrant] = useState(app.grant_types.includes(CODE_GRANT));
  const [passwordLogin, setPasswordLogin] = useState(f.password_login ?? false);
  if (f.redirect_uris === undefined) return null; // a server without browser sign-in
  const isPublic = clientType === 'public';
  return (
    <section aria-labelledby="browser-sign-in">
      <h2 id="browser-sign-in">Browser sign-in</h2>
      <dl className="facts" data-testid="sign-in-facts">
        <dt>Client type</dt>
        <dd>{f.client_type}</dd>
        <dt>Consent</dt>
        <dd>{f.consent === 'first_party' ? 'first party (no consent page)' : 'asked'}</dd>
        <dt>Redirect URIs</dt>
        <dd>{f.redirect_uris.join(', ') || 'none'}</dd>
        <dt>Legacy password sign-in</dt>
        <dd>{f.password_login ? 'allowed' : 'off'}</dd>
      </dl>
      <AsyncForm
        label="Edit browser sign-in"
        submit="Save browser sign-in"
        onSubmit={async () => {
          const grants = app.grant_types.filter((g) => g !== CODE_GRANT);
          await api('PATCH', base, {
            redirect_uris: lines(redirects),
            post_logout_redirect_uris: lines(logoutRedirects),
            client_type: clientType,
            // A public client always requires PKCE; the API refuses false for it.
            ...(isPublic ? {} : { require_pkce: requirePkce }),
            // The authentication method follows a change of type: none for public, a secret back.
            ...(clientType !== f.client_type
              ? { token_endpoint_auth_method: isPublic ? 'none' : 'client_secret_basic' }
              : {}),
            consent: firstParty ? 'first_party' : 'required',
            logo_uri: orNull(logo),
            client_uri: orNull(home),
            policy_uri: orNull(policy),
            tos_uri: orNull(terms),
            grant_types: codeGrant ? [...grants, CODE_GRANT] : grants,
            password_login: passwordLogin,
          });
          onSaved();
        }}
      >
        <Field label="Redirect URIs" hint="One per line; https, or http to 127.0.0.1, [::1] or localhost; exact match">
          {(id, hint) => (
            <textarea
              id={id}
              aria-describedby={hint}
              rows={3}
              value={redirects}
              onChange={(e) => setRedirects(e.target.value)}
            />
          )}
        </Field>
        <Field label="Post-logout redirect URIs" hint="One per line">
          {(id, hint) => (
            <textarea
              id={id}
              aria-describedby={hint}
              rows={2}
              value={logoutRedirects}
              onChange={(e) => setLogoutRedirects(e.target.value)}
            />
          )}
        </Field>
        <Field label="Client type" hint="Public: a SPA, native app or CLI without a secret; always uses PKCE">
          {(id, hint) => (
            <select
              id={id}
              aria-describedby={hint}
              value={clientType}
              onChange={(e) => setClientType(e.target.value as 'confidential' | 'public')}
            >
              <option value="confidential">confidential</option>
              <option value="public">public</option>
            </select>
          )}
        </Field>
        <div className="field">
          <label className="choice">
            <input
              type="checkbox"
              checked={isPublic || requirePkce}
              disabled={isPublic}
              onChange={(e) => setRequirePkce(e.target.checked)}
            />{' '}
            Require PKCE
          </label>
        </div>
        <div className="field">
          <label className="choice">
            <input type="checkbox" checked={firstParty} onChange={(e) => setFirstParty(e.target.checked)} /> First party
            (no consent page)
          </label>
        </div>
        <div className="field">
          <label className="choice">
            <input type="checkbox" checked={codeGrant} onChange={(e) => setCodeGrant(e.target.checked)} /> Authorization
            code grant (sign people in)
          </label>
        </div>
        <Field label="Logo URL" hint="https; shown on the consent page">
          {(id, hint) => (
            <input id={id} aria-describedby={hint} value={logo} onChange={(e) => setLogo(e.target.value)} />
          )}
        </Field>
        <Field label="Home page URL">
          {(id) => <input id={id} value={home} onChange={(e) => setHome(e.target.value)} />}
        </Field>
        <Field label="Privacy policy URL">
          {(id) => <input id={id} value={policy} onChange={(e) => setPolicy(e.target.value)} />}
        </Field>
        <Field label="Terms of service URL">
          {(id) => <input id={id} value={terms} onChange={(e) => setTerms(e.target.value)} />}
        </Field>
        <div className="field">
          <label className="choice">
            <input type="checkbox" checked={passwordLogin} onChange={(e) => setPasswordLogin(e.target.checked)} /> Allow
            the legacy password endpoint (deprecated: POST …/users/login)
          </label>
        </div>
      </AsyncForm>
    </section>
  );
}
