import { useMemo, useState } from 'react';
import { api } from '../api/client';
import type { AuditEvent, ChainReport, Page } from '../api/types';
import { ActionButton, Empty, ErrorBox, Field, Loading, Pager, when } from '../components/ui';
import { usePaged } from '../hooks';
import { useMe } from '../session';
import { HourlyChart } from './audit-chart';

interface Filters {
  org: string;
  actor: string;
  action: string;
  outcome: string;
  since: string;
  until: string;
}

const EMPTY: Filters = { org: '', actor: '', action: '', outcome: '', since: '', until: '' };

function query(f: Filters): string {
  const q = new URLSearchParams();
  for (const k of ['org', 'actor', 'action', 'outcome'] as const) if (f[k].trim()) q.set(k, f[k].trim());
  if (f.since) q.set('since', new Date(f.since).toISOString());
  if (f.until) q.set('until', new Date(f.until).toISOString());
  const s = q.toString();
  return s ? `?${s}` : '';
}

const EXPORT_CAP = 50_000;

/** Pages through GET /v1/audit with the filters applied and downloads the result as NDJSON. */
async function exportAll(q: string): Promise<void> {
  const lines: string[] = [];
  let cursor: string | null = null;
  do {
    const sep = q ? '&' : '?';
    const page: Page<AuditEvent> = await api<Page<AuditEvent>>(
      'GET',
      `/v1/audit${q}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    for (const e of page.data) lines.push(JSON.stringify(e));
    cursor = page.next_cursor;
  } while (cursor && lines.length < EXPORT_CAP);
  const url = URL.createObjectURL(new Blob([lines.join('\n') + '\n'], { type: 'application/x-ndjson' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'gatehouse-audit-export.ndjson';
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The audit log (docs/audit-events.md): filters, events per hour by outcome, export, and the chain check. */
export function AuditPage() {
  const me = useMe();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const list = usePaged<AuditEvent>(`/v1/audit${query(applied)}`, 100);
  const [report, setReport] = useState<ChainReport | null>(null);
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value });
  const exportUrl = useMemo(() => {
    if (list.items.length === 0) return null;
    const lines = list.items.map((e) => JSON.stringify(e)).join('\n') + '\n';
    return URL.createObjectURL(new Blob([lines], { type: 'application/x-ndjson' }));
  }, [list.items]);

  return (
    <>
      <form
        aria-label="Filter audit events"
        className="form inline"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(draft);
        }}
      >
        <Field label="Organization ID">
          {(id) => <input id={id} value={draft.org} onChange={set('org')} placeholder="org_…" />}
        </Field>
        <Field label="Actor ID">
          {(id) => <input id={id} value={draft.actor} onChange={set('actor')} placeholder="adm_…, app_…, usr_…" />}
        </Field>
        <Field label="Action">
          {(id) => <input id={id} value={draft.action} onChange={set('action')} placeholder="token.issued" />}
        </Field>
        <Field label="Outcome">
          {(id) => (
            <select id={id} value={draft.outcome} onChange={set('outcome')}>
              <option value="">any</option>
              <option value="success">success</option>
              <option value="failure">failure</option>
            </select>
          )}
        </Field>
        <Field label="Since">
          {(id) => <input id={id} type="datetime-local" value={draft.since} onChange={set('since')} />}
        </Field>
        <Field label="Until">
          {(id) => <input id={id} type="datetime-local" value={draft.until} onChange={set('until')} />}
        </Field>
        <button type="submit">Apply filters</button>
      </form>

      <section aria-labelledby="chain-check">
        <h2 id="chain-check">Integrity</h2>
        {me.role === 'platform' ? (
          <ActionButton onClick={async () => setReport(await api<ChainReport>('POST', '/v1/audit/verify'))}>
            Verify the chain
          </ActionButton>
        ) : (
          <p>Only platform administrators verify the whole chain.</p>
        )}
        {report && (
          <p role="status" data-testid="chain-report" className={report.ok ? 'decision allow' : 'decision deny'}>
            {report.ok
              ? `The chain is intact: ${report.events} events, head at position ${report.head.position} (${report.head.hash.slice(0, 16)}…).`
              : `The chain is broken at position ${report.broken.position}: ${report.broken.problem}.`}
          </p>
        )}
      </section>

      <section aria-labelledby="per-hour">
        <h2 id="per-hour">Events per hour</h2>
        {list.items.length > 0 ? <HourlyChart events={list.items} /> : <Empty>No events to chart.</Empty>}
      </section>

      <section aria-labelledby="events">
        <h2 id="events">Events</h2>
        {exportUrl && (
          <p className="row">
            <a href={exportUrl} download="gatehouse-audit.ndjson">
              Export the {list.items.length} loaded events (NDJSON)
            </a>
            <ActionButton onClick={() => exportAll(query(applied))}>Export every matching event</ActionButton>
          </p>
        )}
        {list.state === 'error' && <ErrorBox error={list.error} />}
        {list.state === 'ready' && list.items.length === 0 && <Empty>No events match.</Empty>}
        {list.items.length > 0 && (
          <div className="table-wrap" role="region" aria-label="Audit events table" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">When</th>
                  <th scope="col">Action</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Target</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {list.items.map((e) => (
                  <tr key={e.id}>
                    <td>{e.position}</td>
                    <td>{when(e.occurred_at)}</td>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td>
                      <span className={`badge ${e.outcome === 'failure' ? 'warn' : ''}`}>{e.outcome}</span>
                    </td>
                    <td>{e.actor?.id ?? '—'}</td>
                    <td>{e.target ? `${e.target.type ?? ''} ${e.target.id}` : '—'}</td>
                    <td>{e.reason ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {list.state === 'loading' && <Loading what="Loading events" />}
        <Pager hasMore={list.hasMore} loadMore={list.loadMore} loading={list.state === 'loading'} />
      </section>
    </>
  );
}
