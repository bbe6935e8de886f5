import type { AuditEvent } from '../api/types';

const HOUR = 3600_000;

/** Loaded events bucketed per hour, success and failure stacked, as an SVG bar chart with a text summary. */
export function HourlyChart({ events }: { events: AuditEvent[] }) {
  const buckets = new Map<number, { success: number; failure: number }>();
  for (const e of events) {
    const h = Math.floor(Date.parse(e.occurred_at) / HOUR) * HOUR;
    const b = buckets.get(h) ?? { success: 0, failure: 0 };
    if (e.outcome === 'failure') b.failure++;
    else b.success++;
    buckets.set(h, b);
  }
  // The 24 hours up to the latest loaded event, empty hours included, so gaps show.
  const latest = Math.max(...buckets.keys());
  const hours = Array.from({ length: 24 }, (_, i) => latest - (23 - i) * HOUR);
  for (const h of hours) if (!buckets.has(h)) buckets.set(h, { success: 0, failure: 0 });
  const peak = Math.max(1, ...hours.map((h) => buckets.get(h)!.success + buckets.get(h)!.failure));
  const W = 600;
  const H = 100;
  const bw = Math.min(40, (W - 20) / Math.max(1, hours.length));
  const summary = hours
    .filter((h) => buckets.get(h)!.success + buckets.get(h)!.failure > 0)
    .map((h) => {
      const b = buckets.get(h)!;
      return `${new Date(h).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit' })}: ${b.success} success, ${b.failure} failure`;
    })
    .join('; ');
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H + 20}`} role="img" aria-label={`Events per hour. ${summary}`}>
        {hours.map((h, i) => {
          const b = buckets.get(h)!;
          const hs = (b.success / peak) * H;
          const hf = (b.failure / peak) * H;
          const x = 10 + i * bw;
          return (
            <g key={h}>
              <rect x={x} y={H - hs - hf} width={bw - 4} height={hs} className="bar-success" />
              <rect x={x} y={H - hf} width={bw - 4} height={hf} className="bar-failure" />
              {i % 3 === 0 && (
                <text x={x} y={H + 14} className="tl-label">
                  {new Date(h).getHours()}h
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <span className="swatch bar-success" aria-hidden="true" /> success{' '}
        <span className="swatch bar-failure" aria-hidden="true" /> failure — {events.length} loaded events, peak {peak}{' '}
        in an hour.
      </figcaption>
    </figure>
  );
}
