import { randomUUID } from 'node:crypto';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PostgresEventStore, formatPosition, type NewEvent } from '@steward/event-store';
import { type TestEnv, createTestEnv, waitFor } from '@steward/testing';
import { runConsumer } from '../durable-consumer';
import { encodeEvent, type DeliveredEvent } from '../event-codec';
import { IdempotentInbox } from '../idempotent-inbox';
import { connectNats, type NatsClients } from '../nats-connection';
import { natsNames, type NatsNames } from '../nats-names';
import { ensureStreams } from '../stream-setup';
import { EventRelay, type EventRelayOptions } from './event-relay';
import { RelayCheckpointRepository } from './relay-checkpoint.repository';

class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function counterIncremented(by: number): NewEvent {
  return {
    eventId: randomUUID(),
    type: 'CounterIncremented',
    version: 1,
    data: { by },
    metadata: { correlationId: randomUUID(), actor: { type: 'system', id: 'relay-test' }, occurredAt: new Date().toISOString() },
  };
}

function jobStarted(): NewEvent {
  return { ...counterIncremented(0), type: 'JobStarted', data: {} };
}

interface DB {
  totals: { id: string; value: number };
}

// Waits below allow several seconds when the shared servers are busy (jest's
// per-project testTimeout is not applied: only the global one is).
jest.setTimeout(30_000);

describe('EventRelay', () => {
  let env: TestEnv;
  let store: PostgresEventStore;
  let nats: NatsClients;
  let names: NatsNames;
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const relays: EventRelay[] = [];
  /** Every CounterIncremented appended by this file (the store may not show the newest yet). */
  let countersAppended = 0;

  /** `counter-<n>` streams (category `counter`) and `job-<n>` streams (context `jobs` from contextOf). */
  function relay(overrides: Partial<EventRelayOptions> = {}): EventRelay {
    const created = new EventRelay({
      store,
      js: nats.js,
      pool: env.pool,
      subjectPrefix: env.natsPrefix,
      contextOf: (event) => (event.type === 'JobStarted' ? 'jobs' : undefined),
      pollIntervalMs: 100,
      meter: meterProvider.getMeter('relay-test'),
      ...overrides,
    });
    relays.push(created);
    return created;
  }

  async function messagesOn(subject: string): Promise<number> {
    const info = await nats.jsm.streams.info(names.eventsStream, { subjects_filter: subject });
    return Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count, 0);
  }

  async function appendCounters(streams: number, perStream: number): Promise<number> {
    let total = 0;
    await Promise.all(
      Array.from({ length: streams }, async (_, s) => {
        const streamId = `counter-${randomUUID()}`;
        for (let i = 0; i < perStream; i++) {
          await store.append(streamId, [counterIncremented(1)], { expectedRevision: i === 0 ? 'no_stream' : BigInt(i - 1) });
          total += 1;
          countersAppended += 1;
        }
        return s;
      }),
    );
    return total;
  }

  beforeAll(async () => {
    env = await createTestEnv();
    names = natsNames(env.natsPrefix);
    store = new PostgresEventStore({ pool: env.pool, schema: 'events', connectionString: env.databaseUrl });
    await store.migrate();
    nats = await connectNats({ servers: env.natsUrl, name: 'relay-int-test' });
    await ensureStreams(nats.jsm, { prefix: env.natsPrefix });
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
  });

  afterAll(async () => {
    await store?.close();
    await nats?.close();
    await env?.dispose();
    await meterProvider.shutdown();
  });

  it('publishes every appended event to events.<context>.<EventType>, once, and resumes from its checkpoint', async () => {
    const first = relay();
    await Promise.all([first.migrate(), new RelayCheckpointRepository({ pool: env.pool }).migrate()]);
    const appended = await appendCounters(4, 10);
    await store.append(`job-${randomUUID()}`, [jobStarted()], { expectedRevision: 'no_stream' });
    await first.start();

    await waitFor('all events on NATS', async () => ((await messagesOn(names.eventsSubjects)) === appended + 1 ? true : undefined));
    expect(await messagesOn(names.eventSubject('counter', 'CounterIncremented'))).toBe(appended);
    expect(await messagesOn(names.eventSubject('jobs', 'JobStarted'))).toBe(1);
    const head = await store.headPosition();
    await waitFor('the checkpoint at the head', async () =>
      formatPosition(await first.checkpoints.load('default')) === formatPosition(head) ? true : undefined,
    );

    const { resourceMetrics } = await reader.collect();
    expect(metricValue(resourceMetrics, 'steward.relay.events_relayed')).toBe(appended + 1);

    // Live: events appended while the relay runs.
    const live = await appendCounters(2, 5);
    await waitFor('live events on NATS', async () =>
      (await messagesOn(names.eventsSubjects)) === appended + 1 + live ? true : undefined,
    );
    await first.stop();

    // A restart publishes nothing it already published.
    const before = await nats.jsm.streams.info(names.eventsStream);
    const second = relay();
    await second.start();
    await sleep(500);
    expect(second.relayedCount).toBe(0);
    const more = await appendCounters(1, 3);
    await waitFor('new events on NATS', async () =>
      (await messagesOn(names.eventsSubjects)) === appended + 1 + live + more ? true : undefined,
    );
    expect(second.relayedCount).toBe(more);
    const after = await nats.jsm.streams.info(names.eventsStream);
    expect(after.state.last_seq).toBe(before.state.last_seq + more);
  });

  it('re-publishes after losing its checkpoint (a crash before storing it) and NATS drops the duplicates', async () => {
    const name = 'crashy';
    const first = relay({ name });
    await first.migrate();
    await first.start();
    await waitFor('caught up', async () =>
      formatPosition(first.checkpoint) === formatPosition(await store.headPosition()) ? true : undefined,
    );
    await first.stop();
    const before = await nats.jsm.streams.info(names.eventsStream);

    // The process died after publishing but before storing the checkpoint: the stored one is behind.
    await env.pool.query(`UPDATE steward_relay.relay_checkpoints SET commit_position = 0, prepare_position = 0 WHERE name = $1`, [name]);
    const restarted = relay({ name });
    await restarted.start();
    await waitFor('re-published everything', async () => (restarted.relayedCount === before.state.messages ? true : undefined));
    const after = await nats.jsm.streams.info(names.eventsStream);
    expect(after.state.messages).toBe(before.state.messages);
    expect(after.state.last_seq).toBe(before.state.last_seq);
  });

  it('passes over the event types it skips: never published, the checkpoint past them', async () => {
    const skipping = relay({ name: 'skipping', skipEventTypes: ['JobStarted'] });
    await skipping.migrate();
    const jobsBefore = await messagesOn(names.eventSubject('jobs', 'JobStarted'));
    const countersBefore = await messagesOn(names.eventSubject('counter', 'CounterIncremented'));
    await store.append(`job-${randomUUID()}`, [jobStarted(), jobStarted()], { expectedRevision: 'no_stream' });
    const counters = await appendCounters(1, 2);
    await store.append(`job-${randomUUID()}`, [jobStarted()], { expectedRevision: 'no_stream' });
    const head = await store.headPosition();
    await skipping.start();

    await waitFor('the checkpoint at the head', async () =>
      formatPosition(await skipping.checkpoints.load('skipping')) === formatPosition(head) ? true : undefined,
    );
    // counters appended before this test are re-published under this relay's name: NATS drops them as duplicates
    expect(await messagesOn(names.eventSubject('counter', 'CounterIncremented'))).toBe(countersBefore + counters);
    expect(await messagesOn(names.eventSubject('jobs', 'JobStarted'))).toBe(jobsBefore);
  });

  it('feeds a consumer with an inbox that applies each event once, even when NATS holds a copy', async () => {
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: env.pool }) });
    const inbox = new IdempotentInbox<DB>({ db, schema: 'relay_test' });
    await inbox.migrate();
    await sql`CREATE TABLE totals (id text PRIMARY KEY, value int NOT NULL)`.execute(db);
    const applied = new Set<string>();
    const delivered: string[] = [];

    const consumer = await runConsumer({
      js: nats.js,
      jsm: nats.jsm,
      stream: names.eventsStream,
      durable: 'counter-totals',
      filterSubject: names.contextSubjects('counter'),
      prefix: env.natsPrefix,
      fetchExpiresMs: 1_000,
      batch: 50,
      handler: async (_msg, event: DeliveredEvent) => {
        delivered.push(event.eventId);
        await inbox.applyOnce('counter-totals', event.eventId, async (trx) => {
          await trx
            .insertInto('totals')
            .values({ id: 'all', value: (event.data as { by: number }).by })
            .onConflict((oc) => oc.column('id').doUpdateSet({ value: sql<number>`totals.value + excluded.value` }))
            .execute();
          applied.add(event.eventId);
        });
      },
    });
    try {
      const relayed = relay({ name: 'inbox' });
      await relayed.migrate();
      await relayed.start();
      await appendCounters(2, 3);
      const counterEvents = countersAppended;
      await waitFor('every counter event applied', () => (applied.size === counterEvents ? true : undefined));

      // A copy past the duplicate window (another message id): NATS stores it, the inbox absorbs it.
      const { events: [oneEvent] } = await store.readAll({ maxCount: 1, filter: { eventTypes: ['CounterIncremented'] } });
      await nats.js.publish(names.eventSubject('counter', 'CounterIncremented'), encodeEvent(oneEvent!), { msgID: randomUUID() });
      await waitFor('the copy delivered', () =>
        delivered.filter((id) => id === oneEvent!.eventId).length >= 2 ? true : undefined,
      );

      const total = await db.selectFrom('totals').select('value').where('id', '=', 'all').executeTakeFirstOrThrow();
      expect(total.value).toBe(counterEvents);
      const inboxRows = await sql<{ n: string }>`SELECT count(*) AS n FROM relay_test.inbox`.execute(db);
      expect(Number(inboxRows.rows[0]!.n)).toBe(counterEvents);
    } finally {
      await consumer.stop();
    }
  });
});

function metricValue(resourceMetrics: ResourceMetrics, name: string): number | undefined {
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== name) continue;
      return metric.dataPoints.reduce((sum, point) => sum + (point.value as number), 0);
    }
  }
  return undefined;
}
