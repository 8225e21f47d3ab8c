import { context, trace } from '@opentelemetry/api';
import { headers } from '@nats-io/nats-core';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { initTelemetry, resetTelemetryForTests } from './telemetry';
import {
  contextFromTraceContext,
  extractFromNatsHeaders,
  injectIntoNatsHeaders,
  traceContextFromActive,
  withSpan,
} from './tracing';

describe('trace context propagation', () => {
  let exporter: InMemorySpanExporter;

  beforeEach(() => {
    exporter = new InMemorySpanExporter();
    initTelemetry({ serviceName: 'tracing-test', exporters: { prometheus: false }, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  });
  afterEach(async () => {
    await resetTelemetryForTests();
  });

  it('round-trips through NATS headers: the receiver continues the sender’s trace', async () => {
    const sent = await withSpan('publish', {}, (span) => ({ hdrs: injectIntoNatsHeaders(headers()), ids: span.spanContext() }));
    expect(sent.hdrs.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    const received = extractFromNatsHeaders(sent.hdrs, context.active());
    const remote = trace.getSpanContext(received);
    expect(remote).toMatchObject({ traceId: sent.ids.traceId, spanId: sent.ids.spanId, isRemote: true });

    await withSpan('consume', {}, () => undefined, { parent: received });
    const consume = exporter.getFinishedSpans().find((span) => span.name === 'consume');
    expect(consume?.spanContext().traceId).toBe(sent.ids.traceId);
    expect(consume?.parentSpanContext?.spanId).toBe(sent.ids.spanId);
  });

  it('reads header names case-insensitively', async () => {
    const ids = await withSpan('publish', {}, (span) => span.spanContext());
    const hdrs = headers();
    hdrs.set('Traceparent', `00-${ids.traceId}-${ids.spanId}-01`);
    expect(trace.getSpanContext(extractFromNatsHeaders(hdrs))?.traceId).toBe(ids.traceId);
  });

  it('round-trips through an event’s TraceContext', async () => {
    const captured = await withSpan('command.handle', {}, (span) => ({ tc: traceContextFromActive(), ids: span.spanContext() }));
    expect(captured.tc?.traceparent).toContain(captured.ids.traceId);
    const restored = trace.getSpanContext(contextFromTraceContext(captured.tc));
    expect(restored).toMatchObject({ traceId: captured.ids.traceId, spanId: captured.ids.spanId });
  });

  it('gives no trace context outside a span, and leaves the base context alone without one', () => {
    expect(traceContextFromActive()).toBeUndefined();
    expect(contextFromTraceContext(undefined)).toBe(context.active());
    expect(trace.getSpanContext(extractFromNatsHeaders(headers()))).toBeUndefined();
  });
});

describe('withSpan', () => {
  let exporter: InMemorySpanExporter;

  beforeEach(() => {
    exporter = new InMemorySpanExporter();
    initTelemetry({ serviceName: 'tracing-test', exporters: { prometheus: false }, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  });
  afterEach(async () => {
    await resetTelemetryForTests();
  });

  it('nests spans through awaits and records attributes', async () => {
    const result = await withSpan('outer', { 'steward.workspace_id': 'ws_1' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return withSpan('inner', {}, async () => 42);
    });
    expect(result).toBe(42);
    const spans = exporter.getFinishedSpans();
    const outer = spans.find((span) => span.name === 'outer')!;
    const inner = spans.find((span) => span.name === 'inner')!;
    expect(outer.attributes['steward.workspace_id']).toBe('ws_1');
    expect(inner.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(inner.spanContext().traceId).toBe(outer.spanContext().traceId);
  });

  it('records a thrown error, sets the error status, ends the span and rethrows', async () => {
    await expect(
      withSpan('failing', {}, async () => {
        throw new Error('stream conflict');
      }),
    ).rejects.toThrow('stream conflict');
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('failing');
    expect(span?.status).toMatchObject({ code: 2, message: 'stream conflict' });
    expect(span?.events.map((event) => event.name)).toEqual(['exception']);
  });
});
