import { randomUUID } from 'node:crypto';
import type { StoredMsg } from '@nats-io/jetstream';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { initTelemetry, resetTelemetryForTests, withSpan } from '@steward/observability';
import { type TestEnv, createTestEnv, waitFor } from '@steward/testing';
import { DeadLetterHeaders, DurableConsumer, runConsumer } from './durable-consumer';
import type { DeliveredEvent, PublishableEvent } from './event-codec';
import { publishEvent } from './event-publisher';
import { MessagingError, MessagingErrorCode } from './messaging.error';
import { connectNats, type NatsClients } from './nats-connection';
import { natsNames, type NatsNames } from './nats-names';
import { ensureStreams } from './stream-setup';

function event(overrides: Partial<PublishableEvent> = {}): PublishableEvent {
  return {
    eventId: randomUUID(),
    type: 'SampleHappened',
    version: 1,
    streamId: `sample-${randomUUID()}`,
    data: { n: 1 },
    metadata: { correlationId: randomUUID(), actor: { type: 'system', id: 'test' }, occurredAt: new Date().toISOString() },
    ...overrides,
  };
}

// Waits below allow several seconds when the shared servers are busy (jest's
// per-project testTimeout is not applied: only the global one is).
jest.setTimeout(30_000);

describe('JetStream messaging', () => {
  let env: TestEnv;
  let nats: NatsClients;
  let names: NatsNames;
  const consumers: Array<{ stop(): Promise<void> }> = [];
  const exporter = new InMemorySpanExporter();
  const logged: string[] = [];
  const logger = {
    warn: (object: Record<string, unknown>, message: string) => logged.push(`${message} ${JSON.stringify(object)}`),
    error: (object: Record<string, unknown>, message: string) => logged.push(`${message} ${JSON.stringify(object)}`),
  };

  beforeAll(async () => {
    initTelemetry({ serviceName: 'messaging-test', exporters: { prometheus: false }, spanProcessors: [new SimpleSpanProcessor(exporter)] });
    env = await createTestEnv();
    names = natsNames(env.natsPrefix);
    nats = await connectNats({ servers: env.natsUrl, name: 'messaging-int-test' });
    await ensureStreams(nats.jsm, { prefix: env.natsPrefix });
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
  });

  afterAll(async () => {
    await nats?.close();
    await env?.dispose();
    await resetTelemetryForTests();
  });

  /** How many messages the stream holds on `subject`. */
  async function countOn(stream: string, subject: string): Promise<number> {
    const info = await nats.jsm.streams.info(stream, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  }

  /** The newest message on `subject`, once there is one. */
  function lastOn(stream: string, subject: string): Promise<StoredMsg> {
    return waitFor(`a message on ${subject}`, async () => (await nats.jsm.streams.getMessage(stream, { last_by_subj: subject })) ?? undefined);
  }

  it('sets the streams up idempotently, also from two processes at once', async () => {
    const other = await connectNats({ servers: env.natsUrl, name: 'messaging-int-test-2' });
    try {
      const [a, b] = await Promise.all([
        ensureStreams(nats.jsm, { prefix: env.natsPrefix }),
        ensureStreams(other.jsm, { prefix: env.natsPrefix }),
      ]);
      expect(a.events.config.name).toBe(names.eventsStream);
      expect(b.events.config.subjects).toEqual([names.eventsSubjects]);
      expect(a.events.config.storage).toBe('file');
      expect(a.events.config.duplicate_window).toBe(3_600_000_000_000);
      expect(b.deadLetters.config.subjects).toEqual([names.deadLetterSubjects]);

      const widened = await ensureStreams(other.jsm, { prefix: env.natsPrefix, duplicateWindowMs: 2 * 3_600_000 });
      expect(widened.events.config.duplicate_window).toBe(2 * 3_600_000_000_000);
      await ensureStreams(nats.jsm, { prefix: env.natsPrefix });
      expect((await nats.jsm.streams.info(names.eventsStream)).config.duplicate_window).toBe(3_600_000_000_000);
    } finally {
      await other.close();
    }
    await expect(ensureStreams(nats.jsm, { prefix: env.natsPrefix, duplicateWindowMs: 60_000 })).rejects.toThrow(MessagingError);
  });

  it('stores an event once when it is published twice with the same id', async () => {
    const once = event({ type: 'DedupChecked' });
    const subject = names.eventSubject('sample', 'DedupChecked');
    const first = await publishEvent(nats.js, once, subject);
    const second = await publishEvent(nats.js, once, subject);
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(second.seq).toBe(first.seq);

    expect(await countOn(names.eventsStream, subject)).toBe(1);
    const stored = await lastOn(names.eventsStream, subject);
    expect(stored.header.get('Nats-Msg-Id')).toBe(once.eventId);
    expect(stored.json<{ eventId: string }>().eventId).toBe(once.eventId);
  });

  it('redelivers a failing message with backoff, then dead-letters it with the reason', async () => {
    const subject = names.eventSubject('sample', 'AlwaysFails');
    const attempts: Array<{ at: number; count: number }> = [];
    consumers.push(
      await runConsumer({
        js: nats.js,
        jsm: nats.jsm,
        stream: names.eventsStream,
        durable: 'always-fails',
        filterSubject: subject,
        prefix: env.natsPrefix,
        logger,
        maxDeliver: 3,
        backoffMs: [300, 600],
        ackWaitMs: 5_000,
        fetchExpiresMs: 1_000,
        handler: async (msg) => {
          attempts.push({ at: Date.now(), count: msg.info.deliveryCount });
          throw new Error(`projection exploded on attempt ${msg.info.deliveryCount}`);
        },
      }),
    );
    const failing = event({ type: 'AlwaysFails' });
    const ack = await publishEvent(nats.js, failing, subject);

    const dead = await lastOn(names.deadLetterStream, names.deadLetterSubject('always-fails'));
    expect(attempts.map((attempt) => attempt.count)).toEqual([1, 2, 3]);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(280);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(580);

    expect(dead.header.get(DeadLetterHeaders.Reason)).toBe('Error: projection exploded on attempt 3');
    expect(dead.header.get(DeadLetterHeaders.Subject)).toBe(subject);
    expect(dead.header.get(DeadLetterHeaders.Stream)).toBe(names.eventsStream);
    expect(dead.header.get(DeadLetterHeaders.StreamSequence)).toBe(String(ack.seq));
    expect(dead.header.get(DeadLetterHeaders.DeliveryCount)).toBe('3');
    expect(dead.header.get(DeadLetterHeaders.Consumer)).toBe('always-fails');
    expect(dead.json<{ eventId: string }>().eventId).toBe(failing.eventId);
    expect(logged.some((line) => line.startsWith('message dead-lettered') && line.includes('"durable":"always-fails"'))).toBe(true);

    // Terminated: never delivered again, nothing left pending.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(attempts).toHaveLength(3);
    const info = await nats.jsm.consumers.info(names.eventsStream, 'always-fails');
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });

  it('dead-letters an undecodable message at once, and handles the good ones', async () => {
    const subject = names.eventSubject('sample', 'Mixed');
    const handled: string[] = [];
    consumers.push(
      await runConsumer({
        js: nats.js,
        jsm: nats.jsm,
        stream: names.eventsStream,
        durable: 'mixed',
        filterSubject: subject,
        prefix: env.natsPrefix,
        logger,
        backoffMs: [100],
        fetchExpiresMs: 1_000,
        handler: async (_msg, decoded: DeliveredEvent) => {
          handled.push(decoded.eventId);
        },
      }),
    );
    const good = event({ type: 'Mixed' });
    await nats.js.publish(subject, '{"not":"an event"}', { msgID: randomUUID() });
    await publishEvent(nats.js, good, subject);

    await waitFor('the good event', () => (handled.length === 1 ? true : undefined));
    const dead = await lastOn(names.deadLetterStream, names.deadLetterSubject('mixed'));
    expect(handled).toEqual([good.eventId]);
    expect(dead.header.get(DeadLetterHeaders.Reason)).toMatch(/^undecodable: MessagingError: the message is not an event envelope/);
    expect(dead.header.get(DeadLetterHeaders.DeliveryCount)).toBe('1');
  });

  it('in batch mode hands over many messages per call, retries a failed batch whole, and dead-letters a bad one alone', async () => {
    const subject = names.eventSubject('sample', 'Batched');
    const batches: string[][] = [];
    let failOnce = true;
    consumers.push(
      await runConsumer({
        js: nats.js,
        jsm: nats.jsm,
        stream: names.eventsStream,
        durable: 'batched',
        filterSubject: subject,
        prefix: env.natsPrefix,
        logger,
        backoffMs: [100],
        fetchExpiresMs: 1_000,
        maxBatch: 50,
        maxWaitMs: 200,
        batchHandler: async (msgs, decoded: readonly DeliveredEvent[]) => {
          expect(msgs).toHaveLength(decoded.length);
          if (failOnce) {
            failOnce = false;
            throw new Error('database unavailable');
          }
          batches.push(decoded.map((e) => e.eventId));
        },
      }),
    );
    const published = Array.from({ length: 120 }, () => event({ type: 'Batched' }));
    await nats.js.publish(subject, '{"not":"an event"}', { msgID: randomUUID() });
    await Promise.all(published.map((e) => publishEvent(nats.js, e, subject)));

    await waitFor('every good event handled', () => (new Set(batches.flat()).size === published.length ? true : undefined), { timeoutMs: 10_000 });
    const info = await waitFor('the consumer to settle', async () => {
      const state = await nats.jsm.consumers.info(names.eventsStream, 'batched');
      return state.num_pending === 0 && state.num_ack_pending === 0 ? state : undefined;
    });
    expect(info.delivered.stream_seq).toBeGreaterThan(0);
    expect(new Set(batches.flat())).toEqual(new Set(published.map((e) => e.eventId)));
    // The failed first batch came back whole: nothing was lost or acked early.
    expect(batches.flat()).toHaveLength(published.length);
    expect(batches.length).toBeLessThan(published.length / 2);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(50);
    const dead = await lastOn(names.deadLetterStream, names.deadLetterSubject('batched'));
    expect(dead.header.get(DeadLetterHeaders.Reason)).toMatch(/^undecodable: /);
    expect(await countOn(names.deadLetterStream, names.deadLetterSubject('batched'))).toBe(1);
  });

  it('refuses both or neither of handler and batchHandler', () => {
    const base = { js: nats.js, jsm: nats.jsm, stream: names.eventsStream, durable: 'x', filterSubject: 'x' };
    expect(() => new DurableConsumer({ ...base } as never)).toThrow(/exactly one of handler and batchHandler/);
    expect(() => new DurableConsumer({ ...base, handler: async () => {}, batchHandler: async () => {} } as never)).toThrow(
      /exactly one of handler and batchHandler/,
    );
    expect(() => new DurableConsumer({ ...base, batchHandler: async () => {}, maxBatch: 0 })).toThrow(/maxBatch/);
  });

  it('dead-letters at once when the handler says the message is unprocessable', async () => {
    const subject = names.eventSubject('sample', 'Unprocessable');
    let calls = 0;
    consumers.push(
      await runConsumer({
        js: nats.js,
        jsm: nats.jsm,
        stream: names.eventsStream,
        durable: 'unprocessable',
        filterSubject: subject,
        prefix: env.natsPrefix,
        logger,
        fetchExpiresMs: 1_000,
        handler: async () => {
          calls += 1;
          throw new MessagingError(MessagingErrorCode.Unprocessable, 'workspace ws-9 does not exist');
        },
      }),
    );
    await publishEvent(nats.js, event({ type: 'Unprocessable' }), subject);
    const dead = await lastOn(names.deadLetterStream, names.deadLetterSubject('unprocessable'));
    expect(calls).toBe(1);
    expect(dead.header.get(DeadLetterHeaders.Reason)).toBe('MessagingError: workspace ws-9 does not exist');
  });

  it('carries the trace context from the publisher into the consumer handler', async () => {
    const subject = names.eventSubject('sample', 'Traced');
    const seen = new Map<string, string | undefined>();
    consumers.push(
      await runConsumer({
        js: nats.js,
        jsm: nats.jsm,
        stream: names.eventsStream,
        durable: 'traced',
        filterSubject: subject,
        prefix: env.natsPrefix,
        logger,
        fetchExpiresMs: 1_000,
        handler: async (_msg, decoded: DeliveredEvent) => {
          seen.set(decoded.eventId, trace.getActiveSpan()?.spanContext().traceId);
        },
      }),
    );

    // 1. No trace context on the event: the publisher's active span travels in the headers.
    const fromActive = event({ type: 'Traced' });
    const producer = await withSpan('command.handle', {}, async (span) => {
      await publishEvent(nats.js, fromActive, subject);
      return span.spanContext();
    });
    // 2. The event carries the trace context it was recorded in (the relay's case, outside any span).
    const recordedIn = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
    const fromMetadata = event({ type: 'Traced' });
    const withContext: PublishableEvent = {
      ...fromMetadata,
      metadata: { ...fromMetadata.metadata, traceContext: { traceparent: `00-${recordedIn.traceId}-${recordedIn.spanId}-01` } },
    };
    await publishEvent(nats.js, withContext, subject);

    await waitFor('both traced events', () => (seen.size === 2 ? true : undefined));
    expect(seen.get(fromActive.eventId)).toBe(producer.traceId);
    expect(seen.get(fromMetadata.eventId)).toBe(recordedIn.traceId);

    const consumerSpans = exporter.getFinishedSpans().filter((span) => span.name === `${subject} process`);
    const child = consumerSpans.find((span) => span.spanContext().traceId === producer.traceId);
    expect(child?.parentSpanContext?.spanId).toBe(producer.spanId);
    expect(child?.attributes['messaging.consumer.group.name']).toBe('traced');
    expect(consumerSpans.find((span) => span.spanContext().traceId === recordedIn.traceId)?.parentSpanContext?.spanId).toBe(
      recordedIn.spanId,
    );
  });

  it('lets the message in hand finish when stopped, and acks it', async () => {
    const subject = names.eventSubject('sample', 'Slow');
    const finished: string[] = [];
    let started: (() => void) | undefined;
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    const consumer = await runConsumer({
      js: nats.js,
      jsm: nats.jsm,
      stream: names.eventsStream,
      durable: 'slow',
      filterSubject: subject,
      prefix: env.natsPrefix,
      logger,
      fetchExpiresMs: 1_000,
      handler: async (_msg, decoded: DeliveredEvent) => {
        started?.();
        await new Promise((resolve) => setTimeout(resolve, 500));
        finished.push(decoded.eventId);
      },
    });
    const slow = event({ type: 'Slow' });
    await publishEvent(nats.js, slow, subject);
    await handlerStarted;
    await consumer.stop();
    expect(finished).toEqual([slow.eventId]);
    const info = await waitFor('the ack', async () => {
      const current = await nats.jsm.consumers.info(names.eventsStream, 'slow');
      return current.ack_floor.stream_seq > 0 ? current : undefined;
    });
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
  });

  it('ensures a consumer idempotently, also from two processes at once', async () => {
    const options = {
      js: nats.js,
      jsm: nats.jsm,
      stream: names.eventsStream,
      durable: 'twice',
      filterSubject: names.contextSubjects('sample'),
      prefix: env.natsPrefix,
      handler: async () => undefined,
    };
    const [a, b] = await Promise.all([new DurableConsumer(options).ensure(), new DurableConsumer(options).ensure()]);
    expect(a.name).toBe('twice');
    expect(b.config.filter_subject).toBe(names.contextSubjects('sample'));
    const changed = await new DurableConsumer({ ...options, ackWaitMs: 7_000 }).ensure();
    expect(changed.config.ack_wait).toBe(7_000_000_000);
    expect(changed.config.ack_policy).toBe('explicit');
  });
});
