import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTracing, stopTracing, tracingRequested } from '../apps/gatehouse/src/telemetry/tracing';
import { controlFixture } from './support/control';
import { startGatehouse, type TestGatehouse } from './support/gatehouse';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: Record<string, unknown> }[];
}

/**
 * OpenTelemetry traces (docs/reliability.md#traces) sent by the official SDK's OTLP/HTTP
 * exporter, configured by the standard variables only, to an OTLP receiver in this process:
 * one trace per token request, its server span carrying the route, and the grant, the gate
 * decision and the audit flush as its children; a caller's W3C traceparent is the parent;
 * log lines carry the trace id.
 */
describe('OpenTelemetry traces', () => {
  let receiver: Server;
  const spans: OtlpSpan[] = [];
  let gh: TestGatehouse;
  let app: { client_id: string; client_secret: string };

  const attr = (s: OtlpSpan, key: string) => {
    const v = s.attributes.find((a) => a.key === key)?.value;
    return v ? Object.values(v)[0] : undefined;
  };
  const token = (headers: Record<string, string> = {}) =>
    fetch(`${gh.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}`,
        ...headers,
      },
      body: 'grant_type=client_credentials',
    });
  const flush = async () => {
    // The batch processor's delay: stopTracing() would end the SDK, so wait for the export.
    const before = spans.length;
    for (let i = 0; i < 60 && spans.length === before; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
  };

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/v1/traces') {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          for (const rs of body.resourceSpans ?? [])
            for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push(s as OtlpSpan);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const { port } = receiver.address() as AddressInfo;
    // Only standard variables (the exporter reads them from the environment itself): the
    // endpoint turns tracing on; a short batch delay for the test.
    Object.assign(process.env, {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    expect(startTracing(process.env)).not.toBeNull();
    gh = await startGatehouse();
    app = (await controlFixture(gh)).app;
    await flush();
  });
  afterAll(async () => {
    await gh?.close();
    await stopTracing();
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete process.env.OTEL_BSP_SCHEDULE_DELAY;
    receiver?.closeAllConnections();
    await new Promise((r) => receiver?.close(r));
  });

  it('is off by default and turned on by the standard variables only', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_SERVICE_NAME: 'x' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe(
      false,
    );
    expect(tracingRequested({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toBe(false);
  });

  it('sends one trace per token request: the server span with its route, and grant, gate and audit flush as children', async () => {
    spans.length = 0;
    for (let i = 0; i < 3; i++) expect((await token()).status).toBe(200);
    await flush();
    const servers = spans.filter((s) => attr(s, 'http.route') === '/oauth/token');
    expect(servers).toHaveLength(3);
    expect(new Set(servers.map((s) => s.traceId)).size).toBe(3);
    for (const server of servers) {
      expect(server.name).toBe('POST /oauth/token');
      expect(attr(server, 'http.response.status_code')).toBe(200);
      const trace = spans.filter((s) => s.traceId === server.traceId);
      const names = trace.map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining(['grant client_credentials', 'gate decision', 'audit flush']));
      const grant = trace.find((s) => s.name === 'grant client_credentials')!;
      expect(grant.parentSpanId).toBe(server.spanId);
      expect(attr(grant, 'gatehouse.grant_type')).toBe('client_credentials');
      // The gate and the audit flush run inside the grant, so they sit under the request's span.
      for (const name of ['gate decision', 'audit flush']) {
        const child = trace.find((s) => s.name === name)!;
        expect([server.spanId, grant.spanId]).toContain(child.parentSpanId);
      }
      expect(
        attr(
          trace.find((s) => s.name === 'gate decision')!,
          'gatehouse.decision',
        ),
      ).toBe('allow');
      // The server span is the trace's root: no caller's context was sent.
      expect(server.parentSpanId ?? '').toBe('');
    }
  });

  it("honours a caller's W3C traceparent, and the request's log lines carry the trace id", async () => {
    spans.length = 0;
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = '00f067aa0ba902b7';
    const before = gh.logs.length;
    expect((await token({ traceparent: `00-${traceId}-${parent}-01` })).status).toBe(200);
    await flush();
    const server = spans.find((s) => attr(s, 'http.route') === '/oauth/token')!;
    expect(server.traceId).toBe(traceId);
    expect(server.parentSpanId).toBe(parent);
    const lines = gh.logs.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l.trace_id === traceId)).toBe(true);
  });
});
