import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { PostgresEventStore } from '@steward/event-store';
import { initTelemetry, resetTelemetryForTests } from '@steward/observability';
import { createTestEnv, type TestEnv } from '@steward/testing';
import { TallyError, type TallyErrorCode, tallyAggregate, tallyCodes, tallyRegistry, tallyStream } from '../test/tally.fixture';
import { CommandRunner } from './command-runner';

/** STYLE: assert traces where tracing matters — a handled command continues the caller's trace, its append nested in it. */
describe('CommandRunner.handle traces', () => {
  const exporter = new InMemorySpanExporter();
  let env: TestEnv;
  let store: PostgresEventStore;
  let runner: CommandRunner<TallyErrorCode>;

  beforeAll(async () => {
    initTelemetry({ serviceName: 'command-runner-test', exporters: { prometheus: false }, spanProcessors: [new SimpleSpanProcessor(exporter)] });
    env = await createTestEnv();
    store = new PostgresEventStore({ pool: env.pool, schema: 'events' });
    await store.migrate();
    runner = new CommandRunner({ store, registry: tallyRegistry, errors: TallyError, codes: tallyCodes, maxAttempts: 3 });
  });

  afterAll(async () => {
    await store?.close();
    await env?.dispose();
    await resetTelemetryForTests();
  });

  it('opens command.handle in the envelope’s trace and appends inside it, the trace carried into the event', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const tallyId = randomUUID();
    const commandId = randomUUID();
    const raw = {
      commandId,
      type: 'Count',
      actor: { type: 'user', id: 'u-1' },
      traceContext: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      issuedAt: '2026-01-01T00:00:00.000Z',
      payload: {},
    };
    await runner.handle('Count', raw, (envelope) =>
      runner.commit(envelope, {
        load: () => runner.load(tallyStream(tallyId), tallyAggregate),
        streams: (loaded) => [loaded],
        decide: () => [{ type: 'TallyCounted', data: { workspaceId: 'ws-1', tallyId, by: 1 } }],
        scopeOf: () => ({}),
      }),
    );
    const inTrace = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
    const handle = inTrace.find((span) => span.name === 'command.handle');
    const append = inTrace.find((span) => span.name === 'eventStore.append');
    expect(handle?.kind).toBe(SpanKind.SERVER);
    expect(handle?.attributes).toMatchObject({ 'steward.command.type': 'Count', 'steward.command.id': commandId });
    expect(handle?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(append?.parentSpanContext?.spanId).toBe(handle?.spanContext().spanId);
    const [event] = await store.readStream(tallyStream(tallyId));
    expect(event?.metadata.traceContext?.traceparent).toContain(traceId);
  });
});
