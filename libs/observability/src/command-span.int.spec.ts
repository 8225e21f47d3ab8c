import { randomUUID } from 'node:crypto';
import { hrTimeToMicroseconds } from '@opentelemetry/core';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { type NewEvent, PostgresEventStore } from '@steward/event-store';
import { type TestEnv, createTestEnv } from '@steward/testing';
import { initTelemetry, resetTelemetryForTests } from './telemetry';
import { traceContextFromActive, withSpan } from './tracing';

/** A command handler's span wraps the event-store append it performs (STYLE: assert traces where tracing matters). */
describe('command span around a PostgreSQL append', () => {
  let env: TestEnv;
  let store: PostgresEventStore;
  const exporter = new InMemorySpanExporter();

  beforeAll(async () => {
    initTelemetry({ serviceName: 'command-span-test', exporters: { prometheus: false }, spanProcessors: [new SimpleSpanProcessor(exporter)] });
    env = await createTestEnv();
    store = new PostgresEventStore({ pool: env.pool, schema: 'events' });
    await store.migrate();
  });

  afterAll(async () => {
    await store?.close();
    await env?.dispose();
    await resetTelemetryForTests();
  });

  beforeEach(() => exporter.reset());

  function counterIncremented(by: number): NewEvent {
    return {
      eventId: randomUUID(),
      type: 'CounterIncremented',
      version: 1,
      data: { by },
      metadata: {
        correlationId: randomUUID(),
        actor: { type: 'system', id: 'command-span-test' },
        occurredAt: new Date().toISOString(),
        ...(traceContextFromActive() ? { traceContext: traceContextFromActive()! } : {}),
      },
    };
  }

  function only(name: string): ReadableSpan {
    const spans = exporter.getFinishedSpans().filter((span) => span.name === name);
    expect(spans).toHaveLength(1);
    return spans[0]!;
  }

  it('shows eventStore.append as a child of command.handle, in the same trace', async () => {
    const streamId = `counter-${randomUUID()}`;
    await withSpan('command.handle', { 'steward.command': 'IncrementCounter', 'steward.stream_id': streamId }, () =>
      store.append(streamId, [counterIncremented(2)], { expectedRevision: 'no_stream' }),
    );

    const command = only('command.handle');
    const append = only('eventStore.append');
    expect(append.spanContext().traceId).toBe(command.spanContext().traceId);
    expect(append.parentSpanContext?.spanId).toBe(command.spanContext().spanId);
    expect(command.parentSpanContext).toBeUndefined();
    // The child lies within its parent: it ended first (spans are exported as
    // they end) and started no earlier. Span clocks are anchored per span, so
    // timestamps get a millisecond of slack rather than exact comparison.
    const ended = exporter.getFinishedSpans().map((span) => span.name);
    expect(ended.indexOf('eventStore.append')).toBeLessThan(ended.indexOf('command.handle'));
    expect(hrTimeToMicroseconds(append.startTime)).toBeGreaterThanOrEqual(hrTimeToMicroseconds(command.startTime) - 1_000);
    expect(append.attributes['event_store.stream_id']).toBe(streamId);

    // the event carries the command's trace into the store
    const [recorded] = await store.readStream(streamId);
    expect(recorded?.metadata.traceContext?.traceparent).toContain(command.spanContext().traceId);
  });

  it('marks both spans failed when the append is refused, and the command span records why', async () => {
    const streamId = `counter-${randomUUID()}`;
    await store.append(streamId, [counterIncremented(1)], { expectedRevision: 'no_stream' });
    exporter.reset();

    await expect(
      withSpan('command.handle', {}, () => store.append(streamId, [counterIncremented(1)], { expectedRevision: 'no_stream' })),
    ).rejects.toMatchObject({ code: 'WRONG_EXPECTED_REVISION' });

    const command = only('command.handle');
    const append = only('eventStore.append');
    expect(append.parentSpanContext?.spanId).toBe(command.spanContext().spanId);
    expect(append.status.code).toBe(2);
    expect(command.status.code).toBe(2);
    expect(command.events.map((event) => event.name)).toContain('exception');
  });

  it('makes an append outside any command a root span of its own trace', async () => {
    await store.append(`counter-${randomUUID()}`, [counterIncremented(1)], { expectedRevision: 'no_stream' });
    const append = only('eventStore.append');
    expect(append.parentSpanContext).toBeUndefined();
  });
});
