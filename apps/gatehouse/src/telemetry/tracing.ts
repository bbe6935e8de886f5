import { context, propagation, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

let provider: TracerProvider | null = null;

/** Whether this process exports traces (the HTTP layer opens a span per request only then). */
export function tracingEnabled(): boolean {
  return provider !== null;
}

/**
 * OpenTelemetry tracing, off by default (docs/reliability.md#traces). On when
 * `OTEL_TRACES_EXPORTER` includes `otlp`, or an OTLP endpoint is set
 * (`OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); never with
 * `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`. The exporter (OTLP over HTTP)
 * and the batch processor read the other standard variables themselves (headers, timeout,
 * `OTEL_BSP_*`); `OTEL_SERVICE_NAME` names the service (default `gatehouse`). Incoming W3C
 * `traceparent` headers are honoured.
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env): TracerProvider | null {
  if (provider) return provider;
  if (!tracingRequested(env)) return null;
  provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || 'gatehouse' }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return provider;
}

/** Whether the environment asks for traces (see startTracing); nothing does by default. */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim());
  if (exporters.includes('none')) return false;
  return (
    exporters.includes('otlp') || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
  );
}

/** Exports what is buffered and stops (on shutdown; tests call it between runs). */
export async function stopTracing(): Promise<void> {
  const p = provider;
  provider = null;
  if (!p) return;
  await p.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
}

/** The active span's ids for a log line, when a sampled span is active. */
export function traceFields(): { trace_id: string; span_id: string } | null {
  const span: Span | undefined = trace.getSpan(context.active());
  const ctx = span?.spanContext();
  return ctx && trace.isSpanContextValid(ctx) ? { trace_id: ctx.traceId, span_id: ctx.spanId } : null;
}
