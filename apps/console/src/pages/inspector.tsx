import { useState } from 'react';
import { api } from '../api/client';
import type { Inspection } from '../api/types';
import { DecisionView } from '../components/decision';
import { AsyncForm, Field } from '../components/ui';

const DATE_CLAIMS = new Set(['exp', 'iat', 'nbf']);

/**
 * The token inspector (docs/console.md#token-inspector): paste an access token and see what
 * Gatehouse itself verified — claims, the `act` delegation chain, revocation, principal
 * liveness and the access gate's decision now.
 */
export function InspectorPage() {
  const [token, setToken] = useState('');
  const [result, setResult] = useState<Inspection | null>(null);
  return (
    <>
      <AsyncForm
        label="Inspect a token"
        submit="Inspect"
        onSubmit={async () => setResult(await api<Inspection>('POST', '/v1/tokens/inspect', { token: token.trim() }))}
      >
        <Field label="Access token" hint="Verified by this server; nothing is sent anywhere else">
          {(id, hint) => (
            <textarea
              id={id}
              aria-describedby={hint}
              rows={5}
              spellCheck={false}
              required
              value={token}
              onChange={(e) => setToken(e.target.value)}
            />
          )}
        </Field>
      </AsyncForm>
      {result && !result.valid && (
        <p className="error" role="alert" data-testid="inspect-invalid">
          <strong>Not valid:</strong> {result.error}
        </p>
      )}
      {result && result.valid && (
        <div data-testid="inspection" className="inspection">
          <section aria-labelledby="state">
            <h2 id="state">Does it work now?</h2>
            <ul className="checks">
              <li>Signature and claims: verified</li>
              <li data-testid="revocation">{result.revoked ? 'Revoked: this token no longer works' : 'Not revoked'}</li>
              <li>{result.principal.live ? 'Principal: live' : `Principal: ${result.principal.reason}`}</li>
            </ul>
            <h3>Control layer decision</h3>
            <DecisionView decision={result.decision} />
          </section>
          {result.act_chain.length > 0 && (
            <section aria-labelledby="chain">
              <h2 id="chain">Delegation chain</h2>
              <ol
                className="chain"
                aria-label="Delegation chain, from the token's subject through its current actor to the earliest actor"
              >
                <li>
                  <span className="node">{String(result.claims.sub)}</span>
                  <span className="muted"> subject (sub): on whose behalf the token acts</span>
                </li>
                {result.act_chain.map((a, i) => (
                  <li key={`${a}-${i}`}>
                    <span aria-hidden="true" className="arrow">
                      ↳
                    </span>{' '}
                    <span className="node">{a}</span>{' '}
                    <span className="muted">{i === 0 ? 'current actor (act)' : 'earlier actor (nested act)'}</span>
                  </li>
                ))}
              </ol>
            </section>
          )}
          <section aria-labelledby="claims">
            <h2 id="claims">Verified claims</h2>
            <div className="table-wrap" role="region" aria-label="Verified claims table" tabIndex={0}>
              <table>
                <tbody>
                  {Object.entries(result.claims).map(([k, v]) => (
                    <tr key={k}>
                      <th scope="row">{k}</th>
                      <td>
                        <code>{typeof v === 'string' ? v : JSON.stringify(v)}</code>
                        {DATE_CLAIMS.has(k) && typeof v === 'number' && (
                          <span className="muted"> {new Date(v * 1000).toLocaleString()}</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        </div>
      )}
    </>
  );
}
