import type { MsgHdrs } from '@nats-io/nats-core';
import type { TraceContext } from '@steward/contracts';
import { injectIntoNatsHeaders } from '@steward/observability';

/**
 * Writes W3C trace context into NATS headers: the given one (an event's or a
 * command's own, recorded where it started), else the active OpenTelemetry
 * context through the globally registered propagator.
 */
export function injectTraceHeaders(headers: MsgHdrs, traceContext?: TraceContext): void {
  if (traceContext) {
    headers.set('traceparent', traceContext.traceparent);
    if (traceContext.tracestate) headers.set('tracestate', traceContext.tracestate);
    return;
  }
  injectIntoNatsHeaders(headers);
}
