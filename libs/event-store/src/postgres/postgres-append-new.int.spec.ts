import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { type TestEnv, createTestEnv, waitFor } from '@steward/testing';
import { EventStoreError, EventStoreErrorCode, type NewEvent } from '../event-store.port';
import { PostgresEventStore } from './postgres-event-store';

/** The deduplicating append of the PostgreSQL store (EventStore.appendNew). */

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => {
  await env?.dispose();
});

async function freshStore(): Promise<PostgresEventStore> {
  const store = new PostgresEventStore({ pool: env.pool, schema: `es_n${randomUUID().replace(/-/g, '').slice(0, 12)}` });
  await store.migrate();
  return store;
}

const metadata = () => ({
  correlationId: randomUUID(),
  actor: { type: 'system' as const, id: 'append-new-spec' },
  occurredAt: new Date().toISOString(),
});
const event = (eventId: string, data: unknown = { n: 1 }): NewEvent => ({ eventId, type: 'UsageRecorded', version: 1, data, metadata: metadata() });

async function streamOf(store: PostgresEventStore, streamId: string): Promise<{ id: string; revision: bigint; data: unknown }[]> {
  return (await store.readStream(streamId)).map((e) => ({ id: e.eventId, revision: e.streamRevision, data: e.data }));
}

async function countEvents(store: PostgresEventStore): Promise<number> {
  const { rows } = await env.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${store.schema}".events`);
  return rows[0]!.n;
}

describe('PostgreSQL appendNew: dedup decided in the transaction of the append', () => {
  jest.setTimeout(60_000);
  let store: PostgresEventStore;
  beforeEach(async () => {
    store = await freshStore();
  });
  afterEach(async () => {
    await store.close();
  });

  it('writes each id once within one call, the first occurrence winning, with contiguous revisions per stream', async () => {
    const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const result = await store.appendNew([
      { streamId: 'usage-1', events: [event(a, { v: 'first' }), event(b), event(a, { v: 'again' })] },
      { streamId: 'usage-2', events: [event(c), event(b, { v: 'elsewhere' })] },
      { streamId: 'usage-1', events: [event(a.toUpperCase(), { v: 'upper' }), event(d)] },
    ]);
    expect(result.written).toBe(4);
    expect(result.duplicateEventIds).toEqual([a, b, a]);
    expect(result.streamRevisions).toEqual(new Map([['usage-1', 2n], ['usage-2', 0n]]));
    const one = await streamOf(store, 'usage-1');
    expect(one.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
    expect(one[0]).toMatchObject({ id: a, data: { v: 'first' } });
    expect(await streamOf(store, 'usage-2')).toEqual([{ id: c, revision: 0n, data: { n: 1 } }]);
    // The global order is the call's order.
    const { rows } = await env.pool.query<{ id: string }>(`SELECT event_id::text AS id FROM "${store.schema}".events ORDER BY transaction_id, global_position`);
    expect(rows.map((row) => row.id)).toEqual([a, b, c, d]);
  });

  it('skips ids stored by an earlier call, whatever their content now, and goes on at the stream’s end', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await store.appendNew([{ streamId: 'usage-1', events: [event(a, { receivedAt: 'day 1' }), event(b)] }]);
    const later = await store.appendNew([
      { streamId: 'usage-1', events: [event(b, { receivedAt: 'day 2' }), event(c)] },
      { streamId: 'usage-9', events: [event(a, { receivedAt: 'day 2' })] },
    ]);
    expect(later).toEqual({ written: 1, duplicateEventIds: [b, a], streamRevisions: new Map([['usage-1', 2n]]) });
    expect(await streamOf(store, 'usage-1')).toEqual([
      { id: a, revision: 0n, data: { receivedAt: 'day 1' } },
      { id: b, revision: 1n, data: { n: 1 } },
      { id: c, revision: 2n, data: { n: 1 } },
    ]);
    expect(await streamOf(store, 'usage-9')).toEqual([]);
    const nothingNew = await store.appendNew([{ streamId: 'usage-1', events: [event(c)] }]);
    expect(nothingNew).toEqual({ written: 0, duplicateEventIds: [c], streamRevisions: new Map() });
    // The ordinary append goes on after the deduplicated ones.
    expect(await store.append('usage-1', [event(randomUUID())], { expectedRevision: 2n })).toMatchObject({ nextExpectedRevision: 3n, written: true });
  });

  it('writes each id exactly once across concurrent calls with overlapping ids', async () => {
    const ids = Array.from({ length: 400 }, () => randomUUID());
    const streams = ['usage-a', 'usage-b', 'usage-c'];
    const calls = Array.from({ length: 8 }, (_, call) => {
      // Every call takes a different, overlapping slice of the ids, spread over the streams.
      const picked = ids.filter((_, i) => (i + call) % 3 !== 0);
      return streams.map((streamId, s) => ({ streamId, events: picked.filter((_, i) => i % 3 === s).map((id) => event(id, { call })) }));
    });
    const results = await Promise.all(calls.map((requests) => store.appendNew(requests)));
    const sent = calls.reduce((n, requests) => n + requests.reduce((m, r) => m + r.events.length, 0), 0);
    const distinct = new Set(calls.flatMap((requests) => requests.flatMap((r) => r.events.map((e) => e.eventId)))).size;
    expect(results.reduce((n, r) => n + r.written, 0)).toBe(distinct);
    expect(results.reduce((n, r) => n + r.duplicateEventIds.length, 0)).toBe(sent - distinct);
    expect(await countEvents(store)).toBe(distinct);
    let total = 0;
    for (const streamId of streams) {
      const stored = await streamOf(store, streamId);
      expect(stored.map((e) => e.revision)).toEqual(stored.map((_, i) => BigInt(i)));
      total += stored.length;
    }
    expect(total).toBe(distinct);
  });

  it('a failed append claims no id and no revision: the retry writes everything', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await store.appendNew([{ streamId: 'usage-1', events: [event(randomUUID())] }]);
    // A fault inside the transaction, after the ids were looked up and the revisions claimed.
    await env.pool.query(`ALTER TABLE "${store.schema}".events ADD CONSTRAINT no_poison CHECK (data->>'poison' IS NULL)`);
    const failed = store.appendNew([{ streamId: 'usage-1', events: [event(a), event(b), event(randomUUID(), { poison: true })] }]);
    await expect(failed).rejects.toBeInstanceOf(EventStoreError);
    expect(await countEvents(store)).toBe(1);
    const retried = await store.appendNew([{ streamId: 'usage-1', events: [event(a), event(b)] }]);
    expect(retried).toEqual({ written: 2, duplicateEventIds: [], streamRevisions: new Map([['usage-1', 2n]]) });
    expect((await streamOf(store, 'usage-1')).map((e) => e.revision)).toEqual([0n, 1n, 2n]);
  });

  async function holdUncommitted(ids: string[]): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: env.databaseUrl });
    await client.connect();
    await client.query('BEGIN');
    await store.appendWithin(client, 'usage-other', ids.map((id) => event(id, { by: 'other' })), { expectedRevision: 'any' });
    return client;
  }

  async function waitUntilBlocked(): Promise<void> {
    await waitFor('appendNew to wait on the other transaction’s event id', async () => {
      const { rows } = await env.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'transactionid'`,
      );
      return rows[0]!.n > 0 ? true : undefined;
    });
  }

  it('loses a race on an id to a transaction that commits: runs again and reports the id a duplicate', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const other = await holdUncommitted([a]);
    try {
      const pending = store.appendNew([{ streamId: 'usage-1', events: [event(a), event(b)] }]);
      await waitUntilBlocked();
      await other.query('COMMIT');
      expect(await pending).toEqual({ written: 1, duplicateEventIds: [a], streamRevisions: new Map([['usage-1', 0n]]) });
      expect((await streamOf(store, 'usage-1')).map((e) => e.id)).toEqual([b]);
      expect((await streamOf(store, 'usage-other')).map((e) => e.id)).toEqual([a]);
    } finally {
      await other.end();
    }
  });

  it('writes an id whose other writer rolled back: a failed write never burns the key', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const other = await holdUncommitted([a]);
    try {
      const pending = store.appendNew([{ streamId: 'usage-1', events: [event(a), event(b)] }]);
      await waitUntilBlocked();
      await other.query('ROLLBACK');
      expect(await pending).toEqual({ written: 2, duplicateEventIds: [], streamRevisions: new Map([['usage-1', 1n]]) });
      expect((await streamOf(store, 'usage-1')).map((e) => e.id)).toEqual([a, b]);
    } finally {
      await other.end();
    }
  });

  it('stores documents as sent, newlines and backslashes in their texts included, and refuses a NUL character', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const odd = { text: 'line one\nline two\r\n\ttab', slash: 'C:\\u0000\\path', quote: 'say "hi"', unicode: 'é ü 日本 \u2028' };
    expect((await store.appendNew([{ streamId: 'usage-1', events: [event(a, odd), event(b)] }])).written).toBe(2);
    expect(await streamOf(store, 'usage-1')).toEqual([
      { id: a, revision: 0n, data: odd },
      { id: b, revision: 1n, data: { n: 1 } },
    ]);
    const refused = await store.appendNew([{ streamId: 'usage-1', events: [event(c), event(randomUUID(), { model: 'gpt\u0000-4o' })] }]).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(EventStoreError);
    expect((refused as EventStoreError).code).toBe(EventStoreErrorCode.InvalidArgument);
    // nothing of the refused call was written, and its ids are not taken
    expect(await countEvents(store)).toBe(2);
    expect((await store.appendNew([{ streamId: 'usage-1', events: [event(c)] }])).written).toBe(1);
  });

  it('writes each event with its own type and version, several of them in one call', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const kinds = [
      { type: 'UsageRecorded', version: 1 },
      { type: 'UsageCorrected', version: 1 },
      { type: 'UsageRecorded', version: 2 },
      { type: 'UsageRecorded', version: 1 },
    ];
    await store.appendNew([{ streamId: 'usage-1', events: ids.map((id, i) => ({ ...event(id), ...kinds[i]! })) }]);
    expect((await store.readStream('usage-1')).map((e) => ({ id: e.eventId, type: e.type, version: e.version }))).toEqual(
      ids.map((id, i) => ({ id, ...kinds[i]! })),
    );
  });

  it('refuses bad input before any I/O', async () => {
    const codeOf = (promise: Promise<unknown>) => promise.then(() => 'resolved', (error: EventStoreError) => error.code);
    expect(await codeOf(store.appendNew([]))).toBe(EventStoreErrorCode.InvalidArgument);
    expect(await codeOf(store.appendNew([{ streamId: 'usage-1', events: [] }]))).toBe(EventStoreErrorCode.InvalidArgument);
    expect(await codeOf(store.appendNew([{ streamId: 'usage-1', events: [event('not-a-uuid')] }]))).toBe(EventStoreErrorCode.InvalidArgument);
    expect(await countEvents(store)).toBe(0);
  });
});
