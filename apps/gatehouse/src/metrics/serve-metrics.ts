import { createServer, type Server } from 'node:http';
import { AggregatorRegistry, type Registry } from 'prom-client';

/**
 * Serves the metrics on their own port: in a cluster primary, the workers' registries
 * aggregated over the cluster IPC; in a process that serves alone, `local`, its own. Apart
 * from metrics.ts so that a primary loads prom-client and nothing of the server
 * (docs/performance.md#memory-and-startup).
 */
export function serveMetrics(port: number, host: string, local: Registry | null): Server {
  // A primary (no registry of its own) asks its workers; a process serving alone answers itself.
  const agg = local ? null : new AggregatorRegistry();
  const server = createServer((req, res) => {
    if (req.url?.split('?')[0] !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404).end();
      return;
    }
    const text = agg ? agg.clusterMetrics() : local!.metrics();
    text.then(
      (body) => res.writeHead(200, { 'content-type': (agg ?? local!).contentType }).end(body),
      () => res.writeHead(503).end(),
    );
  });
  server.listen(port, host);
  return server;
}
