import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const spans = new WeakMap<FastifyRequest, Span>();

/**
 * One server span per request (docs/reliability.md#traces), child of the caller's W3C
 * `traceparent` when it sent one. `wrap` runs the rest of the request inside the span's
 * context, so grant, gate and audit spans and log lines join it. Named by the route
 * template, never the raw path (IDs and query strings stay out of span names).
 */
export function startRequestSpan(req: FastifyRequest, next: () => void): void {
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const path = req.url.split('?')[0]!;
  const span = trace.getTracer('gatehouse').startSpan(
    req.method,
    {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method, 'url.path': path, 'gatehouse.request_id': req.id },
    },
    parent,
  );
  spans.set(req, span);
  context.with(trace.setSpan(parent, span), next);
}

export function registerRequestSpanEnd(fastify: FastifyInstance): void {
  fastify.addHook('onResponse', (req, reply, done) => {
    const span = spans.get(req);
    if (span) {
      const route = req.routeOptions.url;
      if (route) {
        span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      spans.delete(req);
    }
    done();
  });
  fastify.addHook('onRequestAbort', (req, done) => {
    spans.get(req)?.end();
    spans.delete(req);
    done();
  });
}
