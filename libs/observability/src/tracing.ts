import {
  type Attributes,
  type Context,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
import { Match, type MsgHdrs, headers as natsHeaders } from '@nats-io/nats-core';
import type { TraceContext } from '@steward/contracts';

export const TRACER_NAME = '@steward/observability';

export interface WithSpanOptions {
  readonly kind?: SpanKind;
  /** The parent context; defaults to the active one. See contextFromTraceContext / extractFromNatsHeaders. */
  readonly parent?: Context;
  readonly links?: Link[];
  /** Which tracer to use (the library or service name); defaults to TRACER_NAME. */
  readonly tracer?: string;
}

/**
 * Runs `fn` inside a new active span named `name`. A throw (or rejection) is
 * recorded on the span, which then gets an error status, and is rethrown; the
 * span ends either way.
 */
export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => T | Promise<T>,
  options: WithSpanOptions = {},
): Promise<T> {
  const tracer = trace.getTracer(options.tracer ?? TRACER_NAME);
  const parent = options.parent ?? context.active();
  return tracer.startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes, ...(options.links ? { links: options.links } : {}) },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        recordError(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** Marks a span failed with this error (as an exception event and an error status). */
export function recordError(span: Span, error: unknown): void {
  if (error instanceof Error) {
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  } else {
    span.recordException(String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
  }
}

/** The W3C trace context of `ctx` (the active context by default), for event metadata; undefined without a span. */
export function traceContextFromActive(ctx: Context = context.active()): TraceContext | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  if (!carrier.traceparent) return undefined;
  return carrier.tracestate ? { traceparent: carrier.traceparent, tracestate: carrier.tracestate } : { traceparent: carrier.traceparent };
}

/** A context whose (remote) parent span is the one in `traceContext`; `base` unchanged when there is none. */
export function contextFromTraceContext(traceContext: TraceContext | undefined, base: Context = context.active()): Context {
  if (!traceContext) return base;
  const carrier: Record<string, string> = { traceparent: traceContext.traceparent };
  if (traceContext.tracestate) carrier.tracestate = traceContext.tracestate;
  return propagation.extract(base, carrier);
}

/** Reads propagation fields from NATS message headers (names compared case-insensitively). */
export const natsHeaderGetter: TextMapGetter<MsgHdrs> = {
  keys(carrier) {
    return carrier.keys();
  },
  get(carrier, key) {
    return carrier.has(key, Match.IgnoreCase) ? carrier.get(key, Match.IgnoreCase) : undefined;
  },
};

/** Writes propagation fields into NATS message headers, replacing any earlier value. */
export const natsHeaderSetter: TextMapSetter<MsgHdrs> = {
  set(carrier, key, value) {
    carrier.set(key, value);
  },
};

/**
 * Puts the trace context of `ctx` (the active one by default) into NATS
 * headers: into `headers` when given, else into new ones. Returns the headers.
 */
export function injectIntoNatsHeaders(headers: MsgHdrs = natsHeaders(), ctx: Context = context.active()): MsgHdrs {
  propagation.inject(ctx, headers, natsHeaderSetter);
  return headers;
}

/** The context carried by a NATS message's headers, on top of `base` (the active context by default). */
export function extractFromNatsHeaders(headers: MsgHdrs | undefined, base: Context = context.active()): Context {
  if (!headers) return base;
  return propagation.extract(base, headers, natsHeaderGetter);
}
