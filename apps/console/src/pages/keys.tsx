import { useState } from 'react';
import { api, seg } from '../api/client';
import type { KeyList, SigningKey } from '../api/types';
import { ActionButton, Confirm, ErrorBox, Loading, when } from '../components/ui';
import { useAsync } from '../hooks';
import { useMe } from '../session';

const W = 800;
const day = (ms: number) => new Date(ms).toLocaleDateString([], { month: 'short', day: 'numeric' });
const ROW = 34;

/**
 * Signing keys (docs/architecture.md#keys-and-tokens): a timeline of each key's published,
 * signing and retired spans — where a published span overlaps the signing key's, verifiers
 * hold both — with rotate and an emergency revoke for platform admins.
 */
export function KeysPage() {
  const me = useMe();
  const keys = useAsync(() => api<KeyList>('GET', '/v1/keys'), []);
  if (keys.state === 'loading') return <Loading what="Loading keys" />;
  if (keys.state === 'error') return <ErrorBox error={keys.error} />;
  const { keys: list, rotation } = keys.data;
  return (
    <>
      <section aria-labelledby="timeline">
        <h2 id="timeline">Timeline</h2>
        <p>
          Rotation every {Math.round(rotation.period_s / 86400)} days; a new key is published{' '}
          {Math.round(rotation.publish_ahead_s / 60)} min before it signs and a retired key stays published for{' '}
          {Math.round(rotation.overlap_s / 3600)} h. Next rotation: {when(rotation.next_rotation_at)}.
        </p>
        <Timeline keys={list} nextRotation={rotation.next_rotation_at} />
        {me.role === 'platform' && (
          <ActionButton
            onClick={async () => {
              await api('POST', '/v1/keys/rotate');
              keys.reload();
            }}
          >
            Rotate now
          </ActionButton>
        )}
      </section>
      <section aria-labelledby="key-list">
        <h2 id="key-list">Keys</h2>
        <div className="table-wrap" role="region" aria-label="Signing keys table" tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Key ID</th>
                <th scope="col">State</th>
                <th scope="col">Published</th>
                <th scope="col">Signing since</th>
                <th scope="col">Retired</th>
                <th scope="col">Published until</th>
                {me.role === 'platform' && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {list.map((k) => (
                <tr key={k.kid} data-state={k.state}>
                  <td>
                    <code>{k.kid}</code>
                  </td>
                  <td>
                    <span className={`badge key-${k.state}`}>{k.state}</span>
                  </td>
                  <td>{k.published ? 'yes' : 'no'}</td>
                  <td>{when(k.activated_at)}</td>
                  <td>{when(k.retired_at)}</td>
                  <td>{when(k.published_until)}</td>
                  {me.role === 'platform' && (
                    <td>
                      {k.state !== 'revoked' && !k.revoked_at && (
                        <Confirm
                          trigger={
                            <>
                              Emergency revoke<span className="sr-only"> {k.kid}</span>
                            </>
                          }
                          title={`Revoke key ${k.kid}?`}
                          consequence={
                            <p>
                              The key leaves the JWKS at once: <strong>every token it signed stops verifying</strong>,
                              for every app and user, everywhere
                              {k.state === 'current' ? ', and the next key starts signing now' : ''}. Use this only for
                              a compromised key.
                            </p>
                          }
                          confirm="Revoke the key"
                          onConfirm={async () => {
                            await api('POST', `/v1/keys/${seg(k.kid)}/revoke`);
                            keys.reload();
                          }}
                        />
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}

function Timeline({ keys, nextRotation }: { keys: SigningKey[]; nextRotation: string | null }) {
  // "Now" as of the first render: a re-render must not move the axis under the reader.
  const [now] = useState(() => Date.now());
  const t = (iso: string | null) => (iso ? Date.parse(iso) : null);
  const starts = keys.map((k) => t(k.created_at) ?? now);
  const ends = keys.map((k) => t(k.published_until) ?? t(nextRotation) ?? now);
  const min = Math.min(...starts, now);
  const max = Math.max(...ends, t(nextRotation) ?? now, now + 3600_000);
  const x = (ms: number) => 120 + ((ms - min) / (max - min || 1)) * (W - 140);
  const h = keys.length * ROW + 44;
  return (
    <figure className="timeline">
      <svg viewBox={`0 0 ${W} ${h}`} role="img" aria-labelledby="timeline-caption" preserveAspectRatio="xMinYMin meet">
        {keys.map((k, i) => {
          const y = i * ROW + 20;
          const published = t(k.created_at) ?? now;
          const signFrom = t(k.activated_at);
          const signTo =
            t(k.retired_at) ?? t(k.revoked_at) ?? (k.state === 'current' ? (t(nextRotation) ?? now) : null);
          const until = t(k.published_until) ?? signTo ?? t(nextRotation) ?? now;
          return (
            <g key={k.kid}>
              <text x={0} y={y + 16} className="tl-label">
                {k.kid.slice(0, 14)}
              </text>
              <rect
                x={x(published)}
                y={y}
                width={Math.max(2, x(until) - x(published))}
                height={20}
                className="tl-published"
              />
              {signFrom !== null && signTo !== null && (
                <rect
                  x={x(signFrom)}
                  y={y}
                  width={Math.max(2, x(signTo) - x(signFrom))}
                  height={20}
                  className="tl-signing"
                />
              )}
            </g>
          );
        })}
        <line x1={x(now)} x2={x(now)} y1={14} y2={h - 20} className="tl-now" />
        <text x={x(now) + 4} y={11} className="tl-label">
          now
        </text>
        {t(nextRotation) !== null && (
          <>
            <line x1={x(t(nextRotation)!)} x2={x(t(nextRotation)!)} y1={14} y2={h - 20} className="tl-next" />
            <text x={x(t(nextRotation)!) - 4} y={h - 6} className="tl-label" textAnchor="end">
              next rotation {day(t(nextRotation)!)}
            </text>
          </>
        )}
        <text x={120} y={h - 6} className="tl-label">
          {day(min)}
        </text>
      </svg>
      <figcaption id="timeline-caption">
        Light bars: published in the JWKS; dark bars: signing. Where a light bar overlaps another key's dark bar,
        verifiers accept both keys — the overlap window. {keys.map((k) => `${k.kid} is ${k.state}`).join('; ')}.
      </figcaption>
    </figure>
  );
}
