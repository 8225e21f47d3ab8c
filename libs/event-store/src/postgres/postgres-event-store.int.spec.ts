import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { type TestEnv, createTestEnv, services } from '@steward/testing';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { EventStoreError, EventStoreErrorCode, START } from '../event-store.port';
import { collect, describeEventStoreContract, readVisible, waitUntil } from '../testing/event-store.contract';
import { PostgresEventStore } from './postgres-event-store';
import { MIGRATIONS, renderMigration } from './postgres-sql';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => {
  await env?.dispose();
});

/** A fresh schema per test: `$all` starts empty. */
async function freshStore(): Promise<PostgresEventStore> {
  const store = new PostgresEventStore({ pool: env.pool, schema: `es_${randomUUID().replace(/-/g, '').slice(0, 12)}` });
  await store.migrate();
  return store;
}

describeEventStoreContract(
  'PostgreSQL event store contract',
  async () => {
    const store = await freshStore();
    return {
      store,
      faults: {
        connect: async () => {
          const client = new pg.Client({ connectionString: env.databaseUrl });
          await client.connect();
          return client;
        },
        appendWithin: (client, streamId, events, options) => store.appendWithin(client, streamId, events, options),
      },
      dispose: () => store.close(),
    };
  },
  { postgresFaults: true },
);

const metadata = () => ({
  correlationId: randomUUID(),
  actor: { type: 'system' as const, id: 'postgres-event-store-spec' },
  occurredAt: new Date().toISOString(),
});
const newEvent = (type = 'ThingHappened', data: unknown = { n: 1 }) => ({ eventId: randomUUID(), type, version: 1, data, metadata: metadata() });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EventStoreError) return error.code;
    throw error;
  }
  return 'resolved';
}

async function listenersGone(channel: string): Promise<number[]> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const pids = await listenBackends(channel);
    if (pids.length === 0 || Date.now() > deadline) return pids;
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function listenBackends(channel: string): Promise<number[]> {
  const { rows } = await env.pool.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = $1`,
    [`LISTEN "${channel}"`],
  );
  return rows.map((r) => r.pid);
}

describe('PostgreSQL event store specifics', () => {
  jest.setTimeout(30_000);
  let store: PostgresEventStore;
  beforeEach(async () => {
    store = await freshStore();
  });
  afterEach(async () => {
    await store.close();
  });

  it('migrates idempotently, also when several processes migrate at once', async () => {
    const schema = `es_m${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    const stores = Array.from({ length: 3 }, () => new PostgresEventStore({ pool: env.pool, schema }));
    await Promise.all(stores.map((s) => s.migrate()));
    await stores[0]!.migrate();
    const { rows } = await env.pool.query<{ version: number }>(`SELECT version FROM "${schema}".migrations`);
    expect(rows.map((r) => r.version).sort()).toEqual([1, 2, 3, 4]);
    expect((await stores[1]!.append('m-1', [newEvent()], { expectedRevision: 'no_stream' })).written).toBe(true);
  });

  it('upgrades a version-2 schema holding events: (transaction_id, global_position) becomes the primary key, documents become json, reads and appends go on', async () => {
    const schema = `es_u${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    const s = `"${schema}"`;
    await env.pool.query(`CREATE SCHEMA ${s}`);
    await env.pool.query(`CREATE TABLE ${s}.migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    for (const migration of MIGRATIONS.filter((m) => m.version <= 2)) {
      await env.pool.query(renderMigration(migration, schema));
      await env.pool.query(`INSERT INTO ${s}.migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
    }
    const upgraded = new PostgresEventStore({ pool: env.pool, schema });
    try {
      const firstTwo = [newEvent(), newEvent()];
      await upgraded.append('up-1', firstTwo, { expectedRevision: 'no_stream' });
      const before = await readVisible(upgraded, {}, 2);
      await upgraded.migrate();
      const { rows: versions } = await env.pool.query<{ version: number }>(`SELECT version FROM ${s}.migrations ORDER BY version`);
      expect(versions.map((r) => r.version)).toEqual([1, 2, 3, 4]);
      const { rows: types } = await env.pool.query<{ column_name: string; data_type: string }>(
        `SELECT column_name, data_type FROM information_schema.columns
          WHERE table_schema = $1 AND table_name = 'events' AND column_name IN ('data', 'metadata') ORDER BY column_name`,
        [schema],
      );
      expect(types).toEqual([
        { column_name: 'data', data_type: 'json' },
        { column_name: 'metadata', data_type: 'json' },
      ]);
      const { rows: indexes } = await env.pool.query<{ indexname: string; indexdef: string }>(
        `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'events' ORDER BY indexname`,
        [schema],
      );
      expect(indexes.map((i) => i.indexname)).toEqual(['events_event_id_key', 'events_pkey', 'events_stream_id_stream_revision_key', 'events_type_idx']);
      expect(indexes.find((i) => i.indexname === 'events_pkey')!.indexdef).toContain('UNIQUE INDEX events_pkey ON');
      expect(indexes.find((i) => i.indexname === 'events_pkey')!.indexdef).toContain('(transaction_id, global_position)');
      expect(await readVisible(upgraded, {}, 2)).toEqual(before);
      // Documents converted from jsonb (other text) still compare by content: the retry is recognised.
      expect(await upgraded.append('up-1', firstTwo, { expectedRevision: 'no_stream' })).toMatchObject({ nextExpectedRevision: 1n, written: false });
      expect(await upgraded.append('up-1', [newEvent()], { expectedRevision: 1n })).toMatchObject({ nextExpectedRevision: 2n, written: true });
      const after = await readVisible(upgraded, {}, 3);
      expect(after.slice(0, 2)).toEqual(before);
      expect(after.map((e) => e.streamRevision)).toEqual([0n, 1n, 2n]);
      // A position is unique: a second row at a stored (transaction_id, global_position) is refused.
      const duplicate = env.pool.query(
        `INSERT INTO ${s}.events (global_position, transaction_id, event_id, stream_id, stream_revision, event_type, event_version, data, metadata)
         OVERRIDING SYSTEM VALUE
         SELECT global_position, transaction_id, gen_random_uuid(), 'up-2', 0, event_type, event_version, data, metadata
           FROM ${s}.events WHERE stream_id = 'up-1' AND stream_revision = 0`,
      );
      await expect(duplicate).rejects.toMatchObject({ code: '23505', constraint: 'events_pkey' });
    } finally {
      await upgraded.close();
    }
  });

  it('refuses the NUL character in data or metadata (InvalidArgument, nothing written), and keeps an escaped backslash before u0000', async () => {
    const nul = newEvent('ThingHappened', { name: 'a\u0000b' });
    expect(await codeOf(store.append('nul-1', [newEvent(), nul], { expectedRevision: 'no_stream' }))).toBe(EventStoreErrorCode.InvalidArgument);
    const inMetadata = { ...newEvent(), metadata: { ...metadata(), note: '\u0000' } };
    expect(await codeOf(store.appendMany([{ streamId: 'nul-2', events: [inMetadata], expectedRevision: 'any' }]))).toBe(EventStoreErrorCode.InvalidArgument);
    expect(await store.readStream('nul-1')).toEqual([]);
    expect(await store.readStream('nul-2')).toEqual([]);
    const lookalike = newEvent('ThingHappened', { path: 'C:\\u0000' });
    await store.append('nul-3', [lookalike], { expectedRevision: 'no_stream' });
    expect((await store.readStream('nul-3'))[0]!.data).toEqual({ path: 'C:\\u0000' });
  });

  it('stores documents with non-ASCII text byte for byte', async () => {
    const data = { text: 'ünïcödé 🚀 ✓', nested: ['ä', { 'ключ': 'значение' }] };
    const event = { ...newEvent('ThingHappened', data), metadata: { ...metadata(), note: 'måndag' } };
    await store.append('utf8-1', [event], { expectedRevision: 'no_stream' });
    const [read] = await store.readStream('utf8-1');
    expect(read!.data).toEqual(data);
    expect(read!.metadata).toEqual(event.metadata);
    expect(await store.append('utf8-1', [event], { expectedRevision: 'no_stream' })).toMatchObject({ nextExpectedRevision: 0n, written: false });
  });

  it('compares data by content: a retry with other key order is the same append, other values are not', async () => {
    const stored = newEvent('ThingHappened', { z: 1, a: { y: [1, { q: true, b: 'x' }] } });
    await store.append('order-1', [stored], { expectedRevision: 'no_stream' });
    const reordered = { ...stored, data: { a: { y: [1, { b: 'x', q: true }] }, z: 1 } };
    expect(await store.append('order-1', [reordered], { expectedRevision: 'no_stream' })).toMatchObject({ nextExpectedRevision: 0n, written: false });
    const changed = { ...stored, data: { a: { y: [1, { b: 'x', q: false }] }, z: 1 } };
    expect(await codeOf(store.append('order-1', [changed], { expectedRevision: 'no_stream' }))).toBe(EventStoreErrorCode.IdempotencyViolation);
    expect(await store.readStream('order-1')).toHaveLength(1);
  });

  it('pages a filter of several types (repeated ones too) in global order, merging the per-type scans', async () => {
    const types = ['A', 'B', 'C'];
    const written = Array.from({ length: 30 }, (_, i) => newEvent(types[(i * 7) % 3]!, { i }));
    await store.appendMany([
      { streamId: 'mix-1', events: written.slice(0, 12), expectedRevision: 'no_stream' },
      { streamId: 'mix-2', events: written.slice(12, 20), expectedRevision: 'no_stream' },
    ]);
    await store.append('mix-1', written.slice(20), { expectedRevision: 11n });
    const everything = await readVisible(store, {}, 30);
    const pages: string[][] = [];
    let from = START;
    for (;;) {
      const page = await store.readAll({ from, maxCount: 4, filter: { eventTypes: ['C', 'A', 'C'] } });
      pages.push(page.events.map((e) => e.eventId));
      from = page.checkpoint;
      if (page.isEnd) break;
    }
    expect(pages.flat()).toEqual(everything.filter((e) => e.type !== 'B').map((e) => e.eventId));
    expect(pages.slice(0, -1).every((page) => page.length === 4)).toBe(true);
    expect(from).toEqual(everything.at(-1)!.position);
    const prefixed = await store.readAll({ maxCount: 100, filter: { eventTypes: ['B', 'A'], streamPrefixes: ['mix-2'] } });
    expect(prefixed.events.map((e) => e.eventId)).toEqual(
      everything.filter((e) => e.streamId === 'mix-2' && e.type !== 'C').map((e) => e.eventId),
    );
  });

  it('refuses ids already stored when only some are, or under another stream', async () => {
    const stored = newEvent();
    await store.append('idem-a', [stored], { expectedRevision: 'no_stream' });
    expect(await codeOf(store.append('idem-a', [stored, newEvent()], { expectedRevision: 'any' }))).toBe(
      EventStoreErrorCode.IdempotencyViolation,
    );
    expect(await codeOf(store.append('idem-b', [stored], { expectedRevision: 'any' }))).toBe(EventStoreErrorCode.IdempotencyViolation);
    expect(await codeOf(store.append('idem-a', [{ ...stored, version: 2 }], { expectedRevision: 0n }))).toBe(
      EventStoreErrorCode.IdempotencyViolation,
    );
    expect(await store.readStream('idem-a')).toHaveLength(1);
    expect(await store.readStream('idem-b')).toHaveLength(0);
  });

  it('reads recordedAt as the stored timestamp, to the millisecond, in readStream and readAll', async () => {
    await store.append('recorded-1', [newEvent(), newEvent()], { expectedRevision: 'no_stream' });
    await env.pool.query(
      `UPDATE "${store.schema}".events SET recorded_at = '2026-03-04 05:06:07.891999+00' WHERE stream_revision = 1`,
    );
    const { rows } = await env.pool.query<{ recorded_at: Date }>(
      `SELECT recorded_at FROM "${store.schema}".events ORDER BY stream_revision`,
    );
    const stored = rows.map((r) => r.recorded_at.toISOString());
    expect(stored[1]).toBe('2026-03-04T05:06:07.891Z');
    expect((await store.readStream('recorded-1')).map((e) => e.recordedAt.toISOString())).toEqual(stored);
    expect((await readVisible(store, {}, 2)).map((e) => e.recordedAt.toISOString())).toEqual(stored);
  });

  it('answers concurrent identical appends with expected revision any: one write, the rest idempotent, no errors', async () => {
    const batch = [newEvent(), newEvent()];
    const results = await Promise.all(Array.from({ length: 6 }, () => store.append('idem-any', batch, { expectedRevision: 'any' })));
    expect(results.filter((r) => r.written)).toHaveLength(1);
    for (const r of results) expect(r.nextExpectedRevision).toBe(1n);
    expect((await store.readStream('idem-any')).map((e) => e.eventId)).toEqual(batch.map((e) => e.eventId));
  });

  it('runs concurrent appendMany calls over the same streams in any request order without deadlock or loss', async () => {
    // Orders differ between JS code units, code points (C.UTF-8) and other collations ('B' vs 'a', U+FF01 vs U+1F600):
    // both append paths must lock in the same order.
    const streams = ['lock-B', 'lock-a', 'lock-\uFF01', 'lock-\u{1F600}', 'lock-c'];
    const calls = Array.from({ length: 12 }, (_, i) => {
      const order = i % 2 === 0 ? streams : [...streams].reverse();
      return order.map((streamId, k) => ({
        streamId,
        events: [newEvent()],
        // Every third call takes the general path on one stream: an exact revision it cannot know.
        expectedRevision: i % 3 === 0 && k === 0 ? ('stream_exists' as const) : ('any' as const),
      }));
    });
    const settled = await Promise.allSettled(calls.map((requests) => store.appendMany(requests)));
    const failed = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    // stream_exists fails only before the stream's first append: then WrongExpectedRevision, never a deadlock.
    for (const f of failed) expect((f.reason as EventStoreError).code).toBe(EventStoreErrorCode.WrongExpectedRevision);
    const written = settled.length - failed.length;
    for (const streamId of streams) {
      expect((await store.readStream(streamId)).map((e) => e.streamRevision)).toEqual(Array.from({ length: written }, (_, i) => BigInt(i)));
    }
  });

  it('treats a repeated appendMany as idempotent per request', async () => {
    const a = [newEvent()];
    const b = [newEvent(), newEvent()];
    const requests = [
      { streamId: 'many-a', events: a, expectedRevision: 'no_stream' as const },
      { streamId: 'many-b', events: b, expectedRevision: 'no_stream' as const },
    ];
    const first = await store.appendMany(requests);
    expect(await store.appendMany(requests)).toEqual([
      { nextExpectedRevision: 0n, written: false, position: first[0]!.position },
      { nextExpectedRevision: 1n, written: false, position: first[1]!.position },
    ]);
    expect(first[1]!.position).toEqual((await store.readStream('many-b'))[1]!.position);
    expect(await store.readStream('many-b')).toHaveLength(2);
  });

  it('wakes subscribers through NOTIFY, long before the fallback poll', async () => {
    const subscription = store.subscribeToAll({ pollIntervalMs: 20_000 });
    const collector = collect(subscription);
    await waitUntil(() => collector.batches.some((b) => b.caughtUp), 5000, 'caught up');
    const started = Date.now();
    await store.append('notify-1', [newEvent()], { expectedRevision: 'no_stream' });
    await waitUntil(() => collector.events.length === 1, 5000, 'the notified event');
    expect(Date.now() - started).toBeLessThan(3000);
    await subscription.close();
    await collector.done;
    expect(await listenersGone(`${store.schema}_appended`)).toEqual([]);
  });

  it('wakes a type-filtered subscription only for appends of its types (the NOTIFY names them); sums likewise', async () => {
    let reads = 0;
    const counted = Object.assign(Object.create(store) as PostgresEventStore, {
      readPage: (options: Parameters<PostgresEventStore['readPage']>[0]) => {
        reads++;
        return store.readPage(options);
      },
    });
    const subscription = PostgresEventStore.prototype.subscribeToAll.call(counted, { filter: { eventTypes: ['Wanted'] }, pollIntervalMs: 20_000 });
    const collector = collect(subscription);
    const sums = store.subscribeToSums({ groupBy: 'g', sum: { Wanted: 'v' }, pollIntervalMs: 20_000 });
    const folded: string[] = [];
    const summing = (async () => {
      for await (const batch of sums) folded.push(...batch.groups.map((group) => `${group.key}:${group.sum}`));
    })();
    await waitUntil(() => collector.batches.some((b) => b.caughtUp), 5000, 'caught up');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const before = reads;
    for (let i = 0; i < 3; i++) await store.append(`notify-other-${i}`, [{ ...newEvent(), type: 'Unwanted' }], { expectedRevision: 'no_stream' });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(reads).toBe(before);
    const started = Date.now();
    await store.append('notify-wanted', [{ ...newEvent(), type: 'Wanted', data: { g: 'a', v: '1.5' } }], { expectedRevision: 'no_stream' });
    await waitUntil(() => collector.events.length === 1 && folded.length === 1, 5000, 'the notified event and its sum');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(folded).toEqual(['a:1.5']);
    // a NOTIFY naming no types (an append within a caller's transaction, another writer) wakes everyone
    const client = await env.pool.connect();
    try {
      await client.query('BEGIN');
      await store.appendWithin(client, 'notify-within', [{ ...newEvent(), type: 'Unwanted' }], { expectedRevision: 'no_stream' });
      const woken = reads;
      await client.query('COMMIT');
      await waitUntil(() => reads > woken, 5000, 'a read after the untyped NOTIFY');
    } finally {
      client.release();
    }
    await subscription.close();
    await sums.close();
    await collector.done;
    await summing;
  });

  it('re-establishes a LISTEN connection that the server killed', async () => {
    const own = new PostgresEventStore({ pool: env.pool, schema: store.schema, connectionString: env.databaseUrl });
    const channel = `${store.schema}_appended`;
    try {
      const subscription = own.subscribeToAll({ pollIntervalMs: 20_000 });
      const collector = collect(subscription);
      await waitUntil(() => collector.batches.some((b) => b.caughtUp), 5000, 'caught up');
      const [first] = await listenBackends(channel);
      expect(first).toBeDefined();
      await env.pool.query('SELECT pg_terminate_backend($1)', [first]);
      let now: number[] = [];
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        now = await listenBackends(channel);
        if (now.length === 1 && now[0] !== first) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(now).toHaveLength(1);
      expect(now[0]).not.toBe(first);
      await store.append('reconnect-1', [newEvent()], { expectedRevision: 'no_stream' });
      await waitUntil(() => collector.events.length === 1, 5000, 'an event after reconnecting');
      await subscription.close();
      await collector.done;
      expect(collector.error).toBeUndefined();
    } finally {
      await own.close();
    }
    expect(await listenersGone(channel)).toEqual([]);
  });

  it('reports committed rows held back behind an open transaction, and pages with isEnd', async () => {
    expect(await store.headPosition()).toEqual(START);
    await store.append('page-1', [newEvent(), newEvent(), newEvent()], { expectedRevision: 'no_stream' });
    await readVisible(store, {}, 3);
    const first = await store.readPage({ maxCount: 2 });
    expect(first.events).toHaveLength(2);
    expect(first.isEnd).toBe(false);
    const second = await store.readPage({ from: first.checkpoint, maxCount: 2 });
    expect(second.events).toHaveLength(1);
    expect(second.isEnd).toBe(true);
    expect(await store.headPosition()).toEqual(second.checkpoint);

    const idle = new pg.Client({ connectionString: env.databaseUrl });
    await idle.connect();
    try {
      await idle.query('BEGIN');
      await idle.query('SELECT pg_current_xact_id()');
      await store.append('page-1', [newEvent()], { expectedRevision: 2n });
      const held = await store.readPage({ from: second.checkpoint });
      expect(held.events).toEqual([]);
      expect(held.heldBack).toBe(true);
      expect(held.checkpoint).toEqual(second.checkpoint);
    } finally {
      await idle.query('ROLLBACK');
      await idle.end();
    }
    const released = await readVisible(store, {}, 4);
    expect(released).toHaveLength(4);
  });

  it('is not held back by a transaction open in another database of the server', async () => {
    const elsewhere = new pg.Client({ connectionString: services.databaseUrl });
    await elsewhere.connect();
    try {
      await elsewhere.query('BEGIN');
      await elsewhere.query('SELECT pg_current_xact_id()');
      const event = newEvent();
      await store.append('foreign-1', [event], { expectedRevision: 'no_stream' });
      const visible = await readVisible(store, {}, 1, 3000);
      expect(visible.map((e) => e.eventId)).toEqual([event.eventId]);
    } finally {
      await elsewhere.query('ROLLBACK');
      await elsewhere.end();
    }
  });

  it('records spans for append and readAll', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(provider);
    try {
      await store.append('traced-1', [newEvent(), newEvent()], { expectedRevision: 'no_stream' });
      await codeOf(store.append('traced-1', [newEvent()], { expectedRevision: 'no_stream' }));
      await store.readAll();
      const spans = exporter.getFinishedSpans();
      const appends = spans.filter((s) => s.name === 'eventStore.append');
      expect(appends).toHaveLength(2);
      expect(appends[0]!.attributes).toMatchObject({ 'event_store.stream_id': 'traced-1', 'event_store.event_count': 2, 'event_store.written': true });
      expect(appends[1]!.status.code).toBe(SpanStatusCode.ERROR);
      expect(appends[1]!.attributes['event_store.error_code']).toBe(EventStoreErrorCode.WrongExpectedRevision);
      expect(spans.some((s) => s.name === 'eventStore.readAll')).toBe(true);
    } finally {
      trace.disable();
      await provider.shutdown();
    }
  });

  it('reports an unreachable database as Unavailable', async () => {
    const dead = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/nowhere', connectionTimeoutMillis: 1000 });
    const unreachable = new PostgresEventStore({ pool: dead, schema: store.schema });
    try {
      expect(await codeOf(unreachable.append('x', [newEvent()], { expectedRevision: 'any' }))).toBe(EventStoreErrorCode.Unavailable);
      expect(await codeOf(unreachable.readAll())).toBe(EventStoreErrorCode.Unavailable);
    } finally {
      await unreachable.close();
      await dead.end();
    }
  });
});
