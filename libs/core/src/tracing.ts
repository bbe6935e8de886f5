import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/**
 * Child spans of a request (docs/reliability.md#traces). Only the OpenTelemetry API is used
 * here: with no SDK registered (tracing off, the default) every span is a no-op.
 */
export function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return trace.getTracer('gatehouse').startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}
