import { type Attributes, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { EventStoreError } from './event-store.port';

const tracer = trace.getTracer('steward.event-store');

export const EventStoreSpans = {
  Append: 'eventStore.append',
  ReadAll: 'eventStore.readAll',
  SumAll: 'eventStore.sumAll',
} as const;

/** Runs `fn` inside an active client span; failures are recorded with the store's error code. */
export function traced<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      if (error instanceof EventStoreError) span.setAttribute('event_store.error_code', error.code);
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}
