import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { eventIdFor, type CommandEnvelope } from '@steward/contracts';
import { PostgresEventStore, formatPosition } from '@steward/event-store';
import { initTelemetry, resetTelemetryForTests } from '@steward/observability';
import { createTestEnv, type TestEnv } from '@steward/testing';
import { TallyError, TallyErrorCode, tallyAggregate, tallyCodes, tallyRegistry, tallyStream, type TallyEvent, type TallyState } from '../test/tally.fixture';
import { CommandRunner, type CommandPlan } from './command-runner';
import { UnreadableStreamError, type LoadedStream } from './event-stream';

/** The runner against the real PostgreSQL event store: idempotency, conflicts, several streams in one unit, traces. */
describe('CommandRunner.commit (PostgreSQL event store)', () => {
  const spans = new InMemorySpanExporter();
  let env: TestEnv;
  let store: PostgresEventStore;
  let runner: CommandRunner<TallyErrorCode>;

  beforeAll(async () => {
    initTelemetry({ serviceName: 'command-runner-test', exporters: { prometheus: false }, spanProcessors: [new SimpleSpanProcessor(spans)] });
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

  const envelope = (overrides: Partial<CommandEnvelope> = {}): CommandEnvelope => ({
    commandId: randomUUID(),
    type: 'Count',
    actor: { type: 'user', id: 'u-1' },
    organizationId: 'org-1',
    issuedAt: '2026-01-01T00:00:00.000Z',
    payload: {},
    ...overrides,
  });

  /** Count `by` on one tally, refused once it is closed. */
  function count(tallyId: string, by: number, hooks: Partial<CommandPlan<LoadedStream<TallyState>, TallyEvent>> = {}): CommandPlan<LoadedStream<TallyState>, TallyEvent> {
    return {
      load: () => runner.load(tallyStream(tallyId), tallyAggregate),
      streams: (loaded) => [loaded],
      decide: (loaded) => {
        if (loaded.state.closed) throw new TallyError(TallyErrorCode.Closed, `tally ${tallyId} is closed`);
        return by === 0 ? [] : [{ type: 'TallyCounted', data: { workspaceId: 'ws-1', tallyId, by } }];
      },
      scopeOf: (event) => ({ organizationId: 'org-1', workspaceId: event.data.workspaceId }),
      ...hooks,
    };
  }

  it('appends the decided events with ids and metadata from the command, and answers their revisions', async () => {
    const tallyId = randomUUID();
    const first = envelope({ correlationId: 'req-1' });
    const answer = await runner.commit(first, count(tallyId, 2));
    expect(answer).toEqual({
      ok: true,
      commandId: first.commandId,
      changed: true,
      replayed: false,
      events: [{ type: 'TallyCounted', streamId: tallyStream(tallyId), revision: '0' }],
      // where its event is in the global order: what a reader waits for
      position: formatPosition((await store.readStream(tallyStream(tallyId)))[0]!.position),
    });
    const second = envelope({ causationId: 'evt-cause', traceContext: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
    expect((await runner.commit(second, count(tallyId, 3))).events).toEqual([{ type: 'TallyCounted', streamId: tallyStream(tallyId), revision: '1' }]);

    const [a, b] = await store.readStream(tallyStream(tallyId));
    expect(a).toMatchObject({
      eventId: eventIdFor(first.commandId, 0),
      version: 1,
      data: { workspaceId: 'ws-1', tallyId, by: 2 },
      metadata: { correlationId: 'req-1', causationId: first.commandId, actor: { type: 'user', id: 'u-1' }, organizationId: 'org-1', workspaceId: 'ws-1', occurredAt: '2026-01-01T00:00:00.000Z' },
    });
    expect(b!.metadata).toMatchObject({ correlationId: second.commandId, causationId: 'evt-cause', traceContext: second.traceContext });
    expect((await runner.load(tallyStream(tallyId), tallyAggregate)).state).toEqual({ total: 5, closed: false });
  });

  it('answers a resent command with the first one’s events, appending nothing and deciding nothing', async () => {
    const tallyId = randomUUID();
    const sent = envelope();
    const first = await runner.commit(sent, count(tallyId, 4));
    const decide = jest.fn(() => [] as TallyEvent[]);
    const again = await runner.commit(sent, count(tallyId, 4, { decide }));
    expect(again).toEqual({ ...first, replayed: true });
    expect(decide).not.toHaveBeenCalled();
    expect(await store.readStream(tallyStream(tallyId))).toHaveLength(1);
  });

  it('a stored event this code cannot read is the server’s fault, not a refusal, and its data is not told', async () => {
    const tallyId = randomUUID();
    await store.append(tallyStream(tallyId), [
      { eventId: randomUUID(), type: 'TallyCounted', version: 1, data: { workspaceId: 'ws-1', tallyId, by: 'secret-ish' }, metadata: { correlationId: 'c', actor: { type: 'system', id: 'test' }, occurredAt: '2026-01-01T00:00:00.000Z' } },
    ], { expectedRevision: 'no_stream' });
    const failure = await runner.commit(envelope(), count(tallyId, 1)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UnreadableStreamError);
    expect(runner.refusal(failure)).toBeUndefined();
    expect((failure as Error).message).not.toContain('secret-ish');
  });

  it('answers changed: false when the decision is empty, and appends nothing', async () => {
    const tallyId = randomUUID();
    const afterAppend = jest.fn(async () => undefined);
    expect(await runner.commit(envelope(), count(tallyId, 0, { afterAppend }))).toMatchObject({ changed: false, replayed: false, events: [] });
    expect(afterAppend).not.toHaveBeenCalled();
    expect(await store.readStream(tallyStream(tallyId))).toHaveLength(0);
  });

  it('decides again on the fresh state when another writer got there first, so every rule is checked again', async () => {
    const tallyId = randomUUID();
    await runner.commit(envelope(), count(tallyId, 1));
    const states: TallyState[] = [];
    let raced = false;
    const answer = await runner.commit(
      envelope(),
      count(tallyId, 10, {
        decide: async (loaded) => {
          states.push(loaded.state);
          if (!raced) {
            raced = true;
            await runner.commit(envelope(), count(tallyId, 100)); // lands between this attempt's load and append
          }
          return [{ type: 'TallyCounted', data: { workspaceId: 'ws-1', tallyId, by: 10 } }];
        },
      }),
    );
    expect(states).toEqual([{ total: 1, closed: false }, { total: 101, closed: false }]);
    expect(answer.events).toEqual([{ type: 'TallyCounted', streamId: tallyStream(tallyId), revision: '2' }]);
    expect((await runner.load(tallyStream(tallyId), tallyAggregate)).state.total).toBe(111);
  });

  it('refuses with the context’s Conflict after maxAttempts lost races, having appended nothing of its own', async () => {
    const tallyId = randomUUID();
    const sent = envelope();
    const attempt = runner.commit(
      sent,
      count(tallyId, 1, {
        decide: async () => {
          await runner.commit(envelope(), count(tallyId, 1)); // always one step ahead
          return [{ type: 'TallyCounted', data: { workspaceId: 'ws-1', tallyId, by: 1 } }];
        },
      }),
    );
    await expect(attempt).rejects.toMatchObject({ code: TallyErrorCode.Conflict, message: 'Count kept meeting concurrent changes; send it again' });
    const stored = await store.readStream(tallyStream(tallyId));
    expect(stored).toHaveLength(3);
    expect(stored.map((event) => event.eventId)).not.toContain(eventIdFor(sent.commandId, 0));
  });

  it('runs afterAppend once its own events are stored, not for a resent command', async () => {
    const tallyId = randomUUID();
    const sent = envelope();
    const seen: number[] = [];
    const afterAppend = async (loaded: LoadedStream<TallyState>) => {
      seen.push((await store.readStream(loaded.streamId)).length);
    };
    await runner.commit(sent, count(tallyId, 1, { afterAppend }));
    await runner.commit(sent, count(tallyId, 1, { afterAppend }));
    expect(seen).toEqual([1]);
  });

  it('appends to several streams in one atomic unit, each at its own revision, and replays across them', async () => {
    const [from, to] = [randomUUID(), randomUUID()];
    await runner.commit(envelope(), count(to, 7));
    const move: CommandPlan<{ from: LoadedStream<TallyState>; to: LoadedStream<TallyState> }, TallyEvent> = {
      load: async () => ({ from: await runner.load(tallyStream(from), tallyAggregate), to: await runner.load(tallyStream(to), tallyAggregate) }),
      streams: (loaded) => [loaded.from, loaded.to],
      decide: () => [
        { type: 'TallyClosed', data: { workspaceId: 'ws-1', tallyId: from } },
        { type: 'TallyCounted', data: { workspaceId: 'ws-1', tallyId: to, by: 1 } },
        { type: 'TallyCounted', data: { workspaceId: 'ws-1', tallyId: to, by: 2 } },
      ],
      streamOf: (event) => tallyStream(event.data.tallyId),
      scopeOf: (event) => ({ workspaceId: event.data.workspaceId }),
    };
    const sent = envelope();
    const answer = await runner.commit(sent, move);
    expect(answer.events).toEqual([
      { type: 'TallyClosed', streamId: tallyStream(from), revision: '0' },
      { type: 'TallyCounted', streamId: tallyStream(to), revision: '1' },
      { type: 'TallyCounted', streamId: tallyStream(to), revision: '2' },
    ]);
    expect(await runner.commit(sent, move)).toEqual({ ...answer, replayed: true });
    expect((await store.readStream(tallyStream(to)))[1]!.metadata.organizationId).toBeUndefined();
  });

  it('passes a refusal of the decision through, appending nothing', async () => {
    const tallyId = randomUUID();
    await store.append(tallyStream(tallyId), [{ eventId: randomUUID(), type: 'TallyClosed', version: 1, data: { workspaceId: 'ws-1', tallyId }, metadata: { correlationId: 'x', actor: { type: 'system', id: 'test' }, occurredAt: '2026-01-01T00:00:00.000Z' } }], { expectedRevision: 'no_stream' });
    await expect(runner.commit(envelope(), count(tallyId, 1))).rejects.toMatchObject({ code: TallyErrorCode.Closed, message: `tally ${tallyId} is closed` });
    expect(await store.readStream(tallyStream(tallyId))).toHaveLength(1);
  });

  it('opens command.handle in the envelope’s trace and appends inside it, the trace carried into the event', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const tallyId = randomUUID();
    const commandId = randomUUID();
    const raw = envelope({ commandId, traceContext: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    await runner.handle('Count', raw, (envelope) =>
      runner.commit(envelope, {
        load: () => runner.load(tallyStream(tallyId), tallyAggregate),
        streams: (loaded) => [loaded],
        decide: () => [{ type: 'TallyCounted', data: { workspaceId: 'ws-1', tallyId, by: 1 } }],
        scopeOf: () => ({}),
      }),
    );
    const inTrace = spans.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
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
