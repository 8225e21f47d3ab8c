import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  type AppendResult,
  type EventStore,
  EventStoreError,
  EventStoreErrorCode,
  type EventFilter,
  type ExpectedRevision,
  type GlobalPosition,
  type NewEvent,
  type RecordedEvent,
  START,
  type Subscription,
  type SubscriptionBatch,
  type SumBatch,
  comparePositions,
  foldSums,
  formatPosition,
} from '../event-store.port';

/**
 * What the PostgreSQL adapter offers the fault tests: raw sessions on the
 * store's database and the adapter's own append SQL inside a transaction the
 * test controls (so it can commit late, roll back, or sit idle).
 */
export interface PostgresFaults {
  /** A new, connected client on the store's database; the caller ends it. */
  connect(): Promise<pg.Client>;
  /** The adapter's append path on `client`, inside its open transaction; commits nothing. */
  appendWithin(
    client: pg.ClientBase,
    streamId: string,
    events: readonly NewEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult>;
}

export interface EventStoreContractFixture {
  readonly store: EventStore;
  /** Present for adapters whose fault tests can run (PostgreSQL). */
  readonly faults?: PostgresFaults;
  dispose(): Promise<void>;
}

/** Builds one event; ids are fresh UUIDs, metadata a valid envelope metadata. */
export function contractEvent(type = 'ContractThingHappened', data: unknown = { n: 1 }): NewEvent {
  return {
    eventId: randomUUID(),
    type,
    version: 1,
    data,
    metadata: {
      correlationId: randomUUID(),
      actor: { type: 'system', id: 'event-store-contract' },
      occurredAt: new Date().toISOString(),
    },
  };
}

function events(count: number, type?: string): NewEvent[] {
  return Array.from({ length: count }, (_, i) => contractEvent(type, { i }));
}

async function errorOf(promise: Promise<unknown>): Promise<EventStoreError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EventStoreError) return error;
    throw new Error(`expected an EventStoreError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected the call to fail, it succeeded');
}

export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Drains a subscription in the background, keeping every batch. */
export interface Collector {
  readonly batches: SubscriptionBatch[];
  readonly events: RecordedEvent[];
  readonly done: Promise<void>;
  error: unknown;
  lastCheckpoint(): GlobalPosition | undefined;
  /** Stop pulling after `n` events (the subscription is then closed). */
  stopAfter?: number;
}

export function collect(subscription: Subscription, stopAfter?: number): Collector {
  const collector: Collector = {
    batches: [],
    events: [],
    error: undefined,
    done: Promise.resolve(),
    lastCheckpoint: () => collector.batches.at(-1)?.checkpoint,
  };
  collector.stopAfter = stopAfter;
  (collector as { done: Promise<void> }).done = (async () => {
    try {
      for await (const batch of subscription) {
        collector.batches.push(batch);
        collector.events.push(...batch.events);
        if (collector.stopAfter !== undefined && collector.events.length >= collector.stopAfter) break;
      }
    } catch (error) {
      collector.error = error;
    }
  })();
  return collector;
}

function ids(list: readonly { eventId: string }[]): string[] {
  return list.map((e) => e.eventId.toLowerCase());
}

/** Reads every event matching `filter` from START, page by page. */
async function readEverything(store: EventStore, filter: EventFilter, pageSize = 1000): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  let from = START;
  for (;;) {
    const page = await store.readAll({ from, maxCount: pageSize, filter });
    all.push(...page.events);
    from = page.checkpoint;
    if (page.isEnd) return all;
  }
}

/**
 * Global reads only show events once every older transaction has ended (on
 * PostgreSQL that horizon is server-wide), so a read right after an append may
 * lag: wait until `count` events matching `filter` are visible.
 */
export async function readVisible(store: EventStore, filter: EventFilter, count: number, timeoutMs = 10_000): Promise<RecordedEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await readEverything(store, filter);
    if (all.length >= count || Date.now() > deadline) return all;
    await sleep(20);
  }
}

/**
 * The behaviour every EventStore adapter must show. Each test gets a fresh
 * fixture; tests keep to their own stream prefix, so adapters whose `$all`
 * is shared (KurrentDB) pass as well.
 */
export interface EventStoreContractCapabilities {
  /** Run the PostgreSQL fault tests (late commit, rolled-back gap, idle transaction); the fixture must offer `faults`. */
  readonly postgresFaults: boolean;
}

export function describeEventStoreContract(
  name: string,
  factory: () => Promise<EventStoreContractFixture>,
  capabilities: EventStoreContractCapabilities = { postgresFaults: false },
): void {
  describe(name, () => {
    jest.setTimeout(30_000);
    let fixture: EventStoreContractFixture;
    let store: EventStore;
    let prefix: string;
    const stream = (label: string) => `${prefix}${label}-${randomUUID().slice(0, 8)}`;
    const mine = (): EventFilter => ({ streamPrefixes: [prefix] });

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
      prefix = `ct${randomUUID().replace(/-/g, '').slice(0, 10)}-`;
    });
    afterEach(async () => {
      await fixture?.dispose();
    });

    describe('concurrency', () => {
      it('lets exactly one of 10 concurrent appenders at the same expected revision win', async () => {
        const id = stream('race');
        await store.append(id, events(1), { expectedRevision: 'no_stream' });
        const attempts = await Promise.allSettled(
          Array.from({ length: 10 }, () => store.append(id, events(2), { expectedRevision: 0n })),
        );
        const won = attempts.filter((a) => a.status === 'fulfilled');
        const lost = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
        expect(won).toHaveLength(1);
        const winner = (won[0] as PromiseFulfilledResult<AppendResult>).value;
        expect(winner).toMatchObject({ nextExpectedRevision: 2n, written: true });
        expect(lost).toHaveLength(9);
        for (const failure of lost) {
          expect(failure.reason).toBeInstanceOf(EventStoreError);
          expect((failure.reason as EventStoreError).code).toBe(EventStoreErrorCode.WrongExpectedRevision);
          expect((failure.reason as EventStoreError).details).toMatchObject({ streamId: id, expected: '0' });
        }
        const stored = await store.readStream(id);
        expect(stored.map((e) => e.streamRevision)).toEqual([0n, 1n, 2n]);
        expect(winner.position).toEqual(stored[2]!.position);
      });

      it('lets exactly one of 10 concurrent creators of a new stream win', async () => {
        const id = stream('create-race');
        const attempts = await Promise.allSettled(
          Array.from({ length: 10 }, () => store.append(id, events(1), { expectedRevision: 'no_stream' })),
        );
        expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
        for (const a of attempts) {
          if (a.status === 'rejected') expect(EventStoreError.isConflict(a.reason)).toBe(true);
        }
        expect((await store.readStream(id)).map((e) => e.streamRevision)).toEqual([0n]);
      });
    });

    describe('idempotency', () => {
      it('answers a repeated append of the same events with written:false and stores nothing new', async () => {
        const id = stream('idem');
        const batch = events(2);
        const first = await store.append(id, batch, { expectedRevision: 'no_stream' });
        expect(first).toMatchObject({ nextExpectedRevision: 1n, written: true });
        // A resent append answers where the first one stored its last event.
        expect(await store.append(id, batch, { expectedRevision: 'no_stream' })).toEqual({
          nextExpectedRevision: 1n,
          written: false,
          position: first.position,
        });
        expect(first.position).toEqual((await store.readStream(id))[1]!.position);
        const copies = batch.map((e) => ({ ...e, metadata: { ...e.metadata } }));
        expect((await store.append(id, copies, { expectedRevision: 'no_stream' })).written).toBe(false);
        expect(ids(await store.readStream(id))).toEqual(ids(batch));
        expect(ids(await readVisible(store, mine(), batch.length))).toEqual(ids(batch));
        await sleep(50);
        expect(ids(await readEverything(store, mine()))).toEqual(ids(batch));
      });

      it('refuses a reused event id with other content (IdempotencyViolation)', async () => {
        const id = stream('reuse');
        const [first] = events(1);
        await store.append(id, [first!], { expectedRevision: 'no_stream' });
        const error = await errorOf(
          store.append(id, [{ ...first!, data: { something: 'else' } }], { expectedRevision: 'no_stream' }),
        );
        expect(error.code).toBe(EventStoreErrorCode.IdempotencyViolation);
        expect((await store.readStream(id)).map((e) => e.data)).toEqual([first!.data]);
      });

      it('writes concurrent identical appends exactly once', async () => {
        const id = stream('idem-race');
        const batch = events(3);
        const attempts = await Promise.allSettled(
          Array.from({ length: 5 }, () => store.append(id, batch, { expectedRevision: 'no_stream' })),
        );
        const written = attempts.filter((a) => a.status === 'fulfilled' && a.value.written);
        expect(written).toHaveLength(1);
        for (const a of attempts) {
          if (a.status === 'fulfilled') expect(a.value.nextExpectedRevision).toBe(2n);
          else expect(EventStoreError.isConflict(a.reason)).toBe(true);
        }
        expect(ids(await store.readStream(id))).toEqual(ids(batch));
      });
    });

    describe('expected revisions and batches', () => {
      it('checks no_stream, stream_exists, any and exact revisions', async () => {
        const id = stream('kinds');
        expect(await store.append(id, events(1), { expectedRevision: 'no_stream' })).toMatchObject({
          nextExpectedRevision: 0n,
          written: true,
        });
        const again = await errorOf(store.append(id, events(1), { expectedRevision: 'no_stream' }));
        expect(again.code).toBe(EventStoreErrorCode.WrongExpectedRevision);
        expect(again.details).toMatchObject({ streamId: id, expected: 'no_stream', actual: '0' });

        const missing = stream('missing');
        expect(EventStoreError.isConflict(await errorOf(store.append(missing, events(1), { expectedRevision: 'stream_exists' })))).toBe(true);
        expect(EventStoreError.isConflict(await errorOf(store.append(missing, events(1), { expectedRevision: 0n })))).toBe(true);
        expect(await store.readStream(missing)).toEqual([]);

        expect((await store.append(id, events(1), { expectedRevision: 'stream_exists' })).nextExpectedRevision).toBe(1n);
        expect((await store.append(id, events(1), { expectedRevision: 'any' })).nextExpectedRevision).toBe(2n);
        expect((await store.append(id, events(2), { expectedRevision: 2n })).nextExpectedRevision).toBe(4n);
        const stale = await errorOf(store.append(id, events(1), { expectedRevision: 2n }));
        expect(stale.code).toBe(EventStoreErrorCode.WrongExpectedRevision);
        expect(stale.details).toMatchObject({ streamId: id, expected: '2', actual: '4' });

        const fresh = stream('any-new');
        expect((await store.append(fresh, events(1), { expectedRevision: 'any' })).nextExpectedRevision).toBe(0n);
        expect((await store.readStream(id)).map((e) => e.streamRevision)).toEqual([0n, 1n, 2n, 3n, 4n]);
      });

      it('appends a batch contiguously, in order, with increasing global positions', async () => {
        const id = stream('batch');
        const batch = events(5);
        const result = await store.append(id, batch, { expectedRevision: 'no_stream' });
        expect(result).toMatchObject({ nextExpectedRevision: 4n, written: true });
        const stored = await store.readStream(id);
        expect(result.position).toEqual(stored[4]!.position);
        expect(ids(stored)).toEqual(ids(batch));
        expect(stored.map((e) => e.streamRevision)).toEqual([0n, 1n, 2n, 3n, 4n]);
        for (let i = 1; i < stored.length; i++) {
          expect(comparePositions(stored[i - 1]!.position, stored[i]!.position)).toBe(-1);
        }
        expect(stored[0]).toMatchObject({
          streamId: id,
          type: batch[0]!.type,
          version: 1,
          data: batch[0]!.data,
          metadata: batch[0]!.metadata,
        });
        expect(stored[0]!.recordedAt).toBeInstanceOf(Date);
      });

      it('appendMany writes several streams atomically: one failing request writes nothing', async () => {
        const a = stream('many-a');
        const b = stream('many-b');
        const results = await store.appendMany([
          { streamId: a, events: events(2), expectedRevision: 'no_stream' },
          { streamId: b, events: events(1), expectedRevision: 'no_stream' },
        ]);
        expect(results).toMatchObject([
          { nextExpectedRevision: 1n, written: true },
          { nextExpectedRevision: 0n, written: true },
        ]);
        // Each result's position is at or past its stream's last event: a reader there has read them.
        expect(comparePositions(results[0]!.position, (await store.readStream(a))[1]!.position)).toBeGreaterThanOrEqual(0);
        expect(comparePositions(results[1]!.position, (await store.readStream(b))[0]!.position)).toBeGreaterThanOrEqual(0);
        const c = stream('many-c');
        const error = await errorOf(
          store.appendMany([
            { streamId: c, events: events(1), expectedRevision: 'no_stream' },
            { streamId: a, events: events(1), expectedRevision: 0n },
          ]),
        );
        expect(error.code).toBe(EventStoreErrorCode.WrongExpectedRevision);
        expect(await store.readStream(c)).toEqual([]);
        expect(await store.readStream(a)).toHaveLength(2);
      });

      it('refuses invalid input with InvalidArgument', async () => {
        const id = stream('invalid');
        const bad = async (promise: Promise<unknown>) => expect((await errorOf(promise)).code).toBe(EventStoreErrorCode.InvalidArgument);
        await bad(store.append('', events(1), { expectedRevision: 'any' }));
        await bad(store.append(id, [{ ...contractEvent(), eventId: 'not-a-uuid' }], { expectedRevision: 'any' }));
        const twice = contractEvent();
        await bad(store.append(id, [twice, twice], { expectedRevision: 'any' }));
        await bad(store.append(id, events(1), { expectedRevision: -1n }));
        await bad(store.readStream(id, { maxCount: 0 }));
        expect(await store.readStream(id)).toEqual([]);
      });
    });

    describe('reading', () => {
      it('reads a stream forwards, backwards, from a revision, up to maxCount', async () => {
        const id = stream('read');
        await store.append(id, events(5), { expectedRevision: 'no_stream' });
        const revisions = async (options: Parameters<EventStore['readStream']>[1]) =>
          (await store.readStream(id, options)).map((e) => e.streamRevision);
        expect(await revisions({})).toEqual([0n, 1n, 2n, 3n, 4n]);
        expect(await revisions({ fromRevision: 2n })).toEqual([2n, 3n, 4n]);
        expect(await revisions({ maxCount: 2 })).toEqual([0n, 1n]);
        expect(await revisions({ direction: 'backwards' })).toEqual([4n, 3n, 2n, 1n, 0n]);
        expect(await revisions({ direction: 'backwards', fromRevision: 2n, maxCount: 2 })).toEqual([2n, 1n]);
        expect(await revisions({ fromRevision: 9n })).toEqual([]);
        expect(await store.readStream(stream('none'))).toEqual([]);
      });

      it('reads a stream of 12+ events in numeric revision order, forwards and backwards', async () => {
        const id = stream('long');
        const written = events(13);
        await store.append(id, written.slice(0, 7), { expectedRevision: 'no_stream' });
        await store.append(id, written.slice(7), { expectedRevision: 6n });
        const expected = Array.from({ length: 13 }, (_, i) => BigInt(i));
        const forwards = await store.readStream(id);
        expect(forwards.map((e) => e.streamRevision)).toEqual(expected);
        expect(ids(forwards)).toEqual(ids(written));
        const backwards = await store.readStream(id, { direction: 'backwards' });
        expect(backwards.map((e) => e.streamRevision)).toEqual([...expected].reverse());
        expect((await store.readStream(id, { fromRevision: 9n, maxCount: 3 })).map((e) => e.streamRevision)).toEqual([9n, 10n, 11n]);
        expect((await store.readStream(id, { direction: 'backwards', fromRevision: 11n, maxCount: 3 })).map((e) => e.streamRevision)).toEqual([
          11n,
          10n,
          9n,
        ]);
      });

      it('keeps global order across readAll pages, for several streams written by one appendMany', async () => {
        const a = stream('order-a');
        const b = stream('order-b');
        const c = stream('order-c');
        const first = events(4);
        const second = events(3);
        const third = events(5);
        await store.appendMany([
          { streamId: b, events: first, expectedRevision: 'no_stream' },
          { streamId: a, events: second, expectedRevision: 'any' },
        ]);
        await store.appendMany([
          { streamId: c, events: third.slice(0, 2), expectedRevision: 'no_stream' },
          { streamId: b, events: third.slice(2), expectedRevision: 3n },
        ]);
        const written = [...first, ...second, ...third];
        await readVisible(store, mine(), written.length);
        const read: RecordedEvent[] = [];
        let from = START;
        let pages = 0;
        for (;;) {
          const page = await store.readAll({ from, maxCount: 5, filter: mine() });
          read.push(...page.events);
          from = page.checkpoint;
          pages++;
          if (page.isEnd) break;
          expect(pages).toBeLessThan(10);
        }
        expect(pages).toBeGreaterThan(2);
        expect(ids(read)).toEqual(ids(written));
        for (let i = 1; i < read.length; i++) expect(comparePositions(read[i - 1]!.position, read[i]!.position)).toBe(-1);
        expect((await store.readStream(b)).map((e) => e.streamRevision)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n]);
      });

      it('stores JSON null, strings, arrays and nested objects as event data unchanged', async () => {
        const id = stream('json');
        const values: unknown[] = [null, 'text with "quotes" and \\ backslash', [1, 'two', { three: 3 }], { nested: { deep: [true, false, null] } }, 0];
        await store.append(id, values.map((v) => contractEvent('JsonShaped', v)), { expectedRevision: 'no_stream' });
        expect((await store.readStream(id)).map((e) => e.data)).toEqual(values);
      });

      it('pages through all events with increasing checkpoints', async () => {
        const a = stream('page-a');
        const b = stream('page-b');
        const first = events(3);
        const second = events(2);
        const third = events(2);
        await store.append(a, first, { expectedRevision: 'no_stream' });
        await store.append(b, second, { expectedRevision: 'no_stream' });
        await store.append(a, third, { expectedRevision: 2n });
        await readVisible(store, mine(), 7);
        const pages = [];
        let from = START;
        for (;;) {
          const page = await store.readAll({ from, maxCount: 3, filter: mine() });
          pages.push(page);
          expect(comparePositions(page.checkpoint, from)).toBeGreaterThanOrEqual(0);
          from = page.checkpoint;
          if (page.isEnd) break;
          expect(pages.length).toBeLessThan(10);
        }
        const read = pages.flatMap((p) => p.events);
        expect(ids(read)).toEqual(ids([...first, ...second, ...third]));
        expect(pages.slice(0, 2).map((p) => p.events.length)).toEqual([3, 3]);
        const again = await store.readAll({ from, filter: mine() });
        expect(again.events).toEqual([]);
        expect(again.isEnd).toBe(true);
      });

      it('filters by event type and by stream prefix (a literal prefix, not a pattern)', async () => {
        const orders = `${prefix}order_1`;
        const lookalike = `${prefix}orderX1`;
        await store.append(orders, [contractEvent('OrderPlaced'), contractEvent('OrderShipped')], { expectedRevision: 'no_stream' });
        await store.append(lookalike, [contractEvent('OrderPlaced')], { expectedRevision: 'no_stream' });
        await readVisible(store, mine(), 3);
        const byPrefix = await readEverything(store, { streamPrefixes: [`${prefix}order_`] });
        expect(byPrefix.map((e) => e.streamId)).toEqual([orders, orders]);
        const byType = await readEverything(store, { eventTypes: ['OrderPlaced'], streamPrefixes: [prefix] });
        expect(byType.map((e) => [e.streamId, e.type])).toEqual([
          [orders, 'OrderPlaced'],
          [lookalike, 'OrderPlaced'],
        ]);
        const both = await readEverything(store, { eventTypes: ['OrderShipped', 'Nope'], streamPrefixes: [`${prefix}orderX`, `${prefix}order_`] });
        expect(both.map((e) => e.type)).toEqual(['OrderShipped']);
        const allButPlaced = await readEverything(store, { streamPrefixes: [prefix], excludeEventTypes: ['OrderPlaced', 'Nope'] });
        expect(allButPlaced.map((e) => [e.streamId, e.type])).toEqual([[orders, 'OrderShipped']]);
        const typedButShipped = await readEverything(store, { eventTypes: ['OrderPlaced', 'OrderShipped'], streamPrefixes: [prefix], excludeEventTypes: ['OrderShipped'] });
        expect(typedButShipped.map((e) => [e.streamId, e.type])).toEqual([
          [orders, 'OrderPlaced'],
          [lookalike, 'OrderPlaced'],
        ]);
      });

      it('reads withoutMetadata: the same events and data, every metadata empty (readAll and subscriptions)', async () => {
        const id = stream('lean');
        const written = [contractEvent('LeanHappened', { organizationId: 'o-1', cost: '0.10', nested: { cost: 'x' } }), contractEvent('OtherHappened')];
        await store.append(id, written, { expectedRevision: 'no_stream' });
        const full = await readVisible(store, mine(), 2);
        expect(full.map((e) => e.metadata.correlationId)).toEqual(written.map((e) => e.metadata.correlationId));
        const lean = await store.readAll({ filter: { eventTypes: ['LeanHappened', 'OtherHappened'], streamPrefixes: [prefix] }, withoutMetadata: true });
        expect(lean.events.map((e) => e.metadata)).toEqual([{}, {}]);
        expect(lean.events.map(({ metadata: _metadata, ...rest }) => rest)).toEqual(full.map(({ metadata: _metadata, ...rest }) => rest));
        const subscription = store.subscribeToAll({ filter: mine(), withoutMetadata: true, pollIntervalMs: 100 });
        const collector = collect(subscription);
        await waitUntil(() => collector.events.length >= 2, 5000, 'both events');
        await subscription.close();
        await collector.done;
        expect(ids(collector.events)).toEqual(ids(written));
        expect(collector.events.map((e) => [e.metadata, e.data])).toEqual([
          [{}, written[0]!.data],
          [{}, written[1]!.data],
        ]);
        // the same store, read with metadata again: nothing was cached or dropped
        const again = await store.readAll({ filter: mine() });
        expect(again.events.map((e) => e.metadata)).toEqual(full.map((e) => e.metadata));
        await expect(store.readAll({ withoutMetadata: 'yes' as unknown as boolean })).rejects.toMatchObject({ code: EventStoreErrorCode.InvalidArgument });
      });

      it('reads only the dataFields asked for: top-level fields the data has, nothing nested, {} for data that is no object', async () => {
        const id = stream('fields');
        const written = [
          contractEvent('FieldsHappened', { organizationId: 'o-1', cost: '0.10', model: 'm', nested: { cost: 'x', delta: 'y' } }),
          contractEvent('FieldsHappened', { delta: '-0.05', organizationId: 'o-2' }),
          contractEvent('FieldsHappened', ['organizationId', 'cost']),
          contractEvent('FieldsHappened', null),
        ];
        await store.append(id, written, { expectedRevision: 'no_stream' });
        const full = await readVisible(store, mine(), 4);
        const page = await store.readAll({ filter: mine(), dataFields: ['organizationId', 'cost', 'delta'] });
        expect(page.events.map((e) => e.data)).toEqual([{ organizationId: 'o-1', cost: '0.10' }, { delta: '-0.05', organizationId: 'o-2' }, {}, {}]);
        expect(page.events.map((e) => e.metadata)).toEqual(full.map((e) => e.metadata));
        expect(page.events.map(({ data: _data, ...rest }) => rest)).toEqual(full.map(({ data: _data, ...rest }) => rest));
        const subscription = store.subscribeToAll({ filter: mine(), dataFields: ['cost'], withoutMetadata: true, pollIntervalMs: 100 });
        const collector = collect(subscription);
        await waitUntil(() => collector.events.length >= 4, 5000, 'all four events');
        await subscription.close();
        await collector.done;
        expect(collector.events.map((e) => [e.data, e.metadata])).toEqual([
          [{ cost: '0.10' }, {}],
          [{}, {}],
          [{}, {}],
          [{}, {}],
        ]);
        expect((await store.readStream(id)).map((e) => e.data)).toEqual(written.map((e) => e.data));
        await expect(store.readAll({ dataFields: [''] })).rejects.toMatchObject({ code: EventStoreErrorCode.InvalidArgument });
      });

      it('reads only the metadataFields asked for; withoutMetadata wins over them', async () => {
        const id = stream('meta-fields');
        const base = contractEvent('MetaFieldsHappened', { n: 1 });
        const written = [
          { ...base, metadata: { ...base.metadata, actor: { type: 'api_key' as const, id: 'key-1' }, organizationId: 'o-1', traceContext: { traceparent: 'x', actor: 'nested' } } },
          contractEvent('MetaFieldsHappened', { n: 2 }),
        ];
        await store.append(id, written, { expectedRevision: 'no_stream' });
        const full = await readVisible(store, mine(), 2);
        const page = await store.readAll({ filter: mine(), metadataFields: ['actor', 'organizationId', 'missing'] });
        expect(page.events.map((e) => e.metadata)).toEqual([
          { actor: { type: 'api_key', id: 'key-1' }, organizationId: 'o-1' },
          { actor: { type: 'system', id: 'event-store-contract' } },
        ]);
        expect(page.events.map(({ metadata: _metadata, ...rest }) => rest)).toEqual(full.map(({ metadata: _metadata, ...rest }) => rest));
        const none = await store.readAll({ filter: mine(), metadataFields: ['actor'], withoutMetadata: true });
        expect(none.events.map((e) => e.metadata)).toEqual([{}, {}]);
        expect((await store.readStream(id)).map((e) => e.metadata)).toEqual(full.map((e) => e.metadata));
        await expect(store.readAll({ metadataFields: [''] })).rejects.toMatchObject({ code: EventStoreErrorCode.InvalidArgument });
        await expect(store.readAll({ metadataFields: 'actor' as unknown as string[] })).rejects.toMatchObject({ code: EventStoreErrorCode.InvalidArgument });
      });
    });

    describe('sums (sumAll, subscribeToSums)', () => {
      const SUM = { groupBy: 'organizationId', sum: { Used: 'cost', Corrected: 'delta' } } as const;
      const used = (organizationId: unknown, cost: unknown) => contractEvent('Used', { organizationId, cost, delta: '1000', nested: { cost: '7' } });
      const corrected = (organizationId: string, delta: unknown) => contractEvent('Corrected', { organizationId, cost: '1000', delta });

      /** Every group of every page folded from START, merged per key (sums as exact decimals via foldSums' own arithmetic). */
      async function sumEverything(filter: EventFilter, maxCount?: number): Promise<{ groups: Map<string, { sums: string[]; count: number; first: GlobalPosition; last: GlobalPosition }>; pages: number }> {
        const groups = new Map<string, { sums: string[]; count: number; first: GlobalPosition; last: GlobalPosition }>();
        let from = START;
        let pages = 0;
        for (;;) {
          const page = await store.sumAll({ ...SUM, from, filter, ...(maxCount ? { maxCount } : {}) });
          const read = await store.readAll({ from, filter, ...(maxCount ? { maxCount } : {}) });
          // exactly the page readAll reads: the same checkpoint and end, the same fold
          expect([formatPosition(page.checkpoint), page.isEnd]).toEqual([formatPosition(read.checkpoint), read.isEnd]);
          expect(page.groups).toEqual(foldSums(read.events, SUM));
          pages++;
          for (const group of page.groups) {
            const known = groups.get(group.key);
            if (known) {
              expect(comparePositions(group.first, known.last)).toBeGreaterThan(0);
              known.sums.push(group.sum);
              known.count += group.count;
              known.last = group.last;
            } else groups.set(group.key, { sums: [group.sum], count: group.count, first: group.first, last: group.last });
          }
          expect(comparePositions(page.checkpoint, from)).toBeGreaterThanOrEqual(0);
          from = page.checkpoint;
          if (page.isEnd) return { groups, pages };
          expect(pages).toBeLessThan(50);
        }
      }

      /** Σ of decimal texts, exactly (a fold of its own: one group). */
      const exact = (values: readonly string[]) =>
        foldSums(values.map((cost, i) => ({ ...used('x', cost), streamId: 's', streamRevision: BigInt(i), position: { commit: 1n, prepare: BigInt(i) }, recordedAt: new Date() })), SUM)[0]?.sum ?? '0';

      it('adds up the sum field per group exactly, over exactly what readAll reads, in pages', async () => {
        const a = stream('sum-a');
        const b = stream('sum-b');
        await store.append(a, [used('o-1', '0.1'), used('o-2', '0.000000333333333333'), used('o-1', '0.2'), corrected('o-1', '-0.3')], { expectedRevision: 'no_stream' });
        await store.append(b, [used('o-2', '12.000000000001'), contractEvent('Other', { organizationId: 'o-1', cost: '5' }), used('o-1', '1.10')], { expectedRevision: 'no_stream' });
        // not folded: a missing or null group, a sum field that is no plain decimal, data that is no object
        await store.append(
          a,
          [used(undefined, '3'), used(null, '3'), used('o-1', '1e5'), used('o-1', 'abc'), used('o-1', null), used('o-1', ' 1'), contractEvent('Used', ['o-1', '3']), contractEvent('Used', null)],
          { expectedRevision: 3n },
        );
        await store.append(b, [used('o-3', 2.5), used('o-3', '-0'), corrected('o-2', '-12.000000000001'), used('o-1', '0.000')], { expectedRevision: 2n });
        await readVisible(store, mine(), 19);
        const whole = await sumEverything(mine());
        expect(whole.pages).toBe(1);
        expect([...whole.groups].map(([key, group]) => [key, group.sums, group.count])).toEqual([
          ['o-1', ['1.1'], 5],
          ['o-2', ['0.000000333333333333'], 3],
          ['o-3', ['2.5'], 2],
        ]);
        const events = await readEverything(store, mine());
        const o1 = events.filter((event) => (event.data as { organizationId?: unknown } | null)?.organizationId === 'o-1' && event.type !== 'Other');
        expect(formatPosition(whole.groups.get('o-1')!.first)).toBe(formatPosition(o1[0]!.position));
        expect(formatPosition(whole.groups.get('o-1')!.last)).toBe(formatPosition(o1.at(-1)!.position));
        // in pages of 4 events (folded or not): the same totals, pages exactly readAll's
        const paged = await sumEverything(mine(), 4);
        expect(paged.pages).toBe(5);
        expect([...paged.groups].map(([key, group]) => [key, exact(group.sums), group.count])).toEqual([
          ['o-1', '1.1', 5],
          ['o-2', '0.000000333333333333', 3],
          ['o-3', '2.5', 2],
        ]);
        // filtered by type: only corrections
        const corrections = await store.sumAll({ ...SUM, filter: { eventTypes: ['Corrected'], streamPrefixes: [prefix] } });
        expect(corrections.groups.map((group) => [group.key, group.sum, group.count])).toEqual([
          ['o-1', '-0.3', 1],
          ['o-2', '-12.000000000001', 1],
        ]);
        const after = await store.sumAll({ ...SUM, from: whole.groups.get('o-3')!.last, filter: mine() });
        expect(after.groups.map((group) => [group.key, group.sum])).toEqual([
          ['o-2', '-12.000000000001'],
          ['o-1', '0'],
        ]);
        await expect(store.sumAll({ ...SUM, groupBy: '' })).rejects.toMatchObject({ code: EventStoreErrorCode.InvalidArgument });
        await expect(store.sumAll({ ...SUM, sum: {} })).rejects.toMatchObject({ code: EventStoreErrorCode.InvalidArgument });
        await expect(store.sumAll({ ...SUM, maxCount: 0 })).rejects.toMatchObject({ code: EventStoreErrorCode.InvalidArgument });
      });

      it('keeps each group\'s earliest and latest instant of a span field, and counts the events without one', async () => {
        const id = stream('sum-span');
        const at = (organizationId: string, cost: string, time: unknown) => contractEvent('Used', { organizationId, cost, time });
        await store.append(
          id,
          [
            at('o-1', '1', '2026-03-31T23:59:59.999Z'),
            at('o-2', '2', '2026-01-05T00:00:00.000Z'),
            at('o-1', '1', '2026-02-28T10:00:00+05:30'),
            at('o-1', '1', '2026-04-01T00:00:00.000Z'),
            at('o-2', '2', 'not a time'),
            at('o-3', '3', undefined),
            corrected('o-1', '-1'),
          ],
          { expectedRevision: 'no_stream' },
        );
        await readVisible(store, mine(), 7);
        const page = await store.sumAll({ ...SUM, span: 'time', filter: mine() });
        expect(page.groups.map((group) => [group.key, group.sum, group.count, group.earliest, group.latest, group.unspanned])).toEqual([
          ['o-1', '2', 4, Date.parse('2026-02-28T04:30:00.000Z'), Date.parse('2026-04-01T00:00:00.000Z'), 1],
          ['o-2', '4', 2, Date.parse('2026-01-05T00:00:00.000Z'), Date.parse('2026-01-05T00:00:00.000Z'), 1],
          ['o-3', '3', 1, undefined, undefined, 1],
        ]);
        // exactly the in-memory fold of what readAll reads
        const read = await store.readAll({ filter: mine() });
        expect(page.groups).toEqual(foldSums(read.events, { ...SUM, span: 'time' }));
        // without span, no span figures
        const plain = await store.sumAll({ ...SUM, filter: mine() });
        expect(plain.groups.every((group) => !('earliest' in group) && !('unspanned' in group))).toBe(true);
        await expect(store.sumAll({ ...SUM, span: '' })).rejects.toMatchObject({ code: EventStoreErrorCode.InvalidArgument });
      });

      it('subscribes to sums: catches up, then folds what is appended after, batch by batch', async () => {
        const id = stream('sum-live');
        await store.append(id, [used('o-1', '0.25'), used('o-2', '1'), used('o-1', '0.5')], { expectedRevision: 'no_stream' });
        const subscription = store.subscribeToSums({ ...SUM, filter: mine(), maxCount: 2, pollIntervalMs: 100 });
        const batches: SumBatch[] = [];
        const done = (async () => {
          for await (const batch of subscription) batches.push(batch);
        })();
        const total = (key: string) => exact(batches.flatMap((batch) => batch.groups.filter((group) => group.key === key).map((group) => group.sum)));
        await waitUntil(() => batches.some((batch) => batch.caughtUp) && total('o-1') === '0.75', 5000, 'caught up');
        await store.append(id, [used('o-1', '0.125'), corrected('o-2', '-0.5')], { expectedRevision: 2n });
        await waitUntil(() => total('o-1') === '0.875' && total('o-2') === '0.5', 5000, 'the live events');
        await subscription.close();
        await done;
        const checkpoints = batches.map((batch) => batch.checkpoint);
        for (let i = 1; i < checkpoints.length; i++) expect(comparePositions(checkpoints[i - 1]!, checkpoints[i]!)).toBeLessThanOrEqual(0);
        expect(batches.reduce((n, batch) => n + batch.groups.reduce((m, group) => m + group.count, 0), 0)).toBe(5);
        // a group's range lies within its batch: after the previous batch's checkpoint, at or before its own
        batches.forEach((batch, i) => {
          for (const group of batch.groups) {
            if (i > 0) expect(comparePositions(group.first, batches[i - 1]!.checkpoint)).toBeGreaterThan(0);
            expect(comparePositions(group.last, batch.checkpoint)).toBeLessThanOrEqual(0);
          }
        });
      });
    });

    describe('subscriptions', () => {
      it('catches up, then receives events appended after subscribing', async () => {
        const id = stream('live');
        const before = events(3);
        await store.append(id, before, { expectedRevision: 'no_stream' });
        const subscription = store.subscribeToAll({ filter: mine(), pollIntervalMs: 200 });
        const collector = collect(subscription);
        await waitUntil(() => collector.events.length >= 3, 5000, 'catch-up');
        await waitUntil(() => collector.batches.some((b) => b.caughtUp), 5000, 'caught up');
        const after = events(2);
        await store.append(id, after, { expectedRevision: 2n });
        await waitUntil(() => collector.events.length >= 5, 5000, 'live events');
        await subscription.close();
        await collector.done;
        expect(collector.error).toBeUndefined();
        expect(ids(collector.events)).toEqual(ids([...before, ...after]));
        const checkpoints = collector.batches.map((b) => b.checkpoint);
        for (let i = 1; i < checkpoints.length; i++) expect(comparePositions(checkpoints[i - 1]!, checkpoints[i]!)).toBeLessThanOrEqual(0);
      });

      it('advances a filtered subscription checkpoint past skipped events', async () => {
        const id = stream('filtered');
        const wanted = contractEvent('WantedHappened');
        await store.append(id, [...events(3, 'SkippedHappened'), wanted, ...events(2, 'SkippedHappened')], {
          expectedRevision: 'no_stream',
        });
        const last = (await store.readStream(id, { direction: 'backwards', maxCount: 1 }))[0]!;
        const subscription = store.subscribeToAll({ filter: { eventTypes: ['WantedHappened'], streamPrefixes: [prefix] }, pollIntervalMs: 100 });
        const collector = collect(subscription);
        await waitUntil(
          () => collector.batches.some((b) => comparePositions(b.checkpoint, last.position) >= 0),
          5000,
          `a checkpoint at or past ${formatPosition(last.position)}`,
        );
        await subscription.close();
        await collector.done;
        expect(ids(collector.events)).toEqual(ids([wanted]));
        const resumed = await store.readAll({ from: collector.lastCheckpoint()!, filter: mine() });
        expect(resumed.events).toEqual([]);
      });

      it('resumes from a stored checkpoint without repeating or skipping', async () => {
        const a = stream('resume-a');
        const b = stream('resume-b');
        const written: NewEvent[] = [];
        for (let i = 0; i < 6; i++) {
          const batch = events(3);
          written.push(...batch);
          await store.append(i % 2 ? b : a, batch, { expectedRevision: i < 2 ? 'no_stream' : BigInt((Math.floor(i / 2) * 3) - 1) });
        }
        const first = store.subscribeToAll({ filter: mine(), maxCount: 4, pollIntervalMs: 100 });
        const seen: RecordedEvent[] = [];
        let checkpoint: GlobalPosition | undefined;
        for await (const batch of first) {
          seen.push(...batch.events);
          checkpoint = batch.checkpoint;
          if (seen.length >= 7) break;
        }
        await first.close();
        expect(checkpoint).toBeDefined();
        // More events land while nobody is subscribed.
        const late = events(2);
        written.push(...late);
        await store.append(a, late, { expectedRevision: 8n });
        const second = store.subscribeToAll({ from: checkpoint!, filter: mine(), maxCount: 4, pollIntervalMs: 100 });
        const collector = collect(second);
        await waitUntil(() => seen.length + collector.events.length >= written.length, 5000, 'the rest after resuming');
        await sleep(150);
        await second.close();
        await collector.done;
        const union = [...seen, ...collector.events];
        expect(new Set(ids(union)).size).toBe(union.length);
        expect(ids(union)).toEqual(ids(written));
      });
    });

    // Only adapters that can open an append and leave it uncommitted get these (PostgreSQL).
    if (!capabilities.postgresFaults) return;
    describe('PostgreSQL faults', () => {
      const withFaults = (title: string, fn: (faults: PostgresFaults) => Promise<void>) =>
        it(title, async () => {
          expect(fixture.faults).toBeDefined();
          await fn(fixture.faults!);
        });

      withFaults('does not skip or pass an append that commits late', async (faults) => {
        const early = stream('early');
        const late = stream('late');
        const subscription = store.subscribeToAll({ filter: mine(), pollIntervalMs: 100 });
        const collector = collect(subscription);
        await waitUntil(() => collector.batches.some((b) => b.caughtUp), 5000, 'caught up');

        const a = await faults.connect();
        try {
          await a.query('BEGIN');
          const { rows } = await a.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
          const xidA = BigInt(rows[0]!.xid);
          const eventA = contractEvent('LateCommitted');
          await faults.appendWithin(a, early, [eventA], { expectedRevision: 'no_stream' });

          const eventB = contractEvent('EarlyCommitted');
          await store.append(late, [eventB], { expectedRevision: 'no_stream' });
          expect(await store.readStream(late)).toHaveLength(1);

          const page = await store.readAll({ filter: mine() });
          expect(page.events).toEqual([]);
          expect(page.checkpoint.commit < xidA).toBe(true);
          expect((await store.headPosition()).commit < xidA).toBe(true);
          await sleep(300);
          expect(collector.events).toEqual([]);
          for (const batch of collector.batches) expect(batch.checkpoint.commit < xidA).toBe(true);

          await a.query('COMMIT');
          await waitUntil(() => collector.events.length >= 2, 5000, 'both events after the late commit');
          expect(ids(collector.events)).toEqual(ids([eventA, eventB]));
          expect(ids((await store.readAll({ filter: mine() })).events)).toEqual(ids([eventA, eventB]));
        } finally {
          await a.query('ROLLBACK').catch(() => undefined);
          await a.end();
          await subscription.close();
          await collector.done;
        }
        expect(collector.error).toBeUndefined();
      });

      withFaults('sums never skip or pass an append that commits late', async (faults) => {
        const SUM = { groupBy: 'organizationId', sum: { Used: 'cost' } };
        const early = stream('sum-early');
        const late = stream('sum-late');
        const a = await faults.connect();
        try {
          await a.query('BEGIN');
          const { rows } = await a.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
          const xidA = BigInt(rows[0]!.xid);
          await faults.appendWithin(a, early, [contractEvent('Used', { organizationId: 'o', cost: '1.5' })], { expectedRevision: 'no_stream' });
          await store.append(late, [contractEvent('Used', { organizationId: 'o', cost: '0.25' })], { expectedRevision: 'no_stream' });
          const page = await store.sumAll({ ...SUM, filter: mine() });
          expect(page.groups).toEqual([]);
          expect(page.checkpoint.commit < xidA).toBe(true);
          await a.query('COMMIT');
          let after = await store.sumAll({ ...SUM, from: page.checkpoint, filter: mine() });
          for (let tries = 0; after.groups.length === 0 && tries < 100; tries++) {
            await sleep(20);
            after = await store.sumAll({ ...SUM, from: page.checkpoint, filter: mine() });
          }
          expect(after.groups.map((group) => [group.key, group.sum, group.count])).toEqual([['o', '1.75', 2]]);
        } finally {
          await a.query('ROLLBACK').catch(() => undefined);
          await a.end();
        }
      });

      withFaults('passes the gap a rolled-back append leaves', async (faults) => {
        const id = stream('gap');
        const kept = contractEvent('Kept');
        await store.append(id, [kept], { expectedRevision: 'no_stream' });
        const subscription = store.subscribeToAll({ filter: mine(), pollIntervalMs: 100 });
        const collector = collect(subscription);
        await waitUntil(() => collector.events.length >= 1, 5000, 'first event');

        const client = await faults.connect();
        try {
          await client.query('BEGIN');
          await faults.appendWithin(client, id, events(3, 'RolledBack'), { expectedRevision: 0n });
          await client.query('ROLLBACK');
        } finally {
          await client.end();
        }
        const after = events(2, 'AfterGap');
        await store.append(id, after, { expectedRevision: 0n });
        await waitUntil(() => collector.events.length >= 3, 5000, 'events after the gap');
        await subscription.close();
        await collector.done;
        expect(ids(collector.events)).toEqual(ids([kept, ...after]));
        const stored = await store.readStream(id);
        expect(stored.map((e) => e.streamRevision)).toEqual([0n, 1n, 2n]);
        // The rolled-back rows consumed global positions: there is a gap, and readers passed it.
        expect(stored[1]!.position.prepare - stored[0]!.position.prepare).toBeGreaterThan(1n);
      });

      withFaults('delivers every event once an idle-in-transaction session ends', async (faults) => {
        const id = stream('idle');
        const subscription = store.subscribeToAll({ filter: mine(), pollIntervalMs: 100 });
        const collector = collect(subscription);
        await waitUntil(() => collector.batches.some((b) => b.caughtUp), 5000, 'caught up');
        const idle = await faults.connect();
        try {
          await idle.query('BEGIN');
          await idle.query('CREATE TEMP TABLE idle_marker (x int)');
          await idle.query('INSERT INTO idle_marker VALUES (1)');
          const before = events(2, 'WhileIdle');
          await store.append(id, before, { expectedRevision: 'no_stream' });
          const more = events(2, 'WhileIdle');
          await store.append(id, more, { expectedRevision: 1n });
          await sleep(200);
          // Readers wait behind the open transaction (its xid is older), and never skip.
          const page = await store.readAll({ filter: mine() });
          expect(page.events).toEqual([]);
          expect(collector.events).toEqual([]);
          await idle.query('COMMIT');
          await waitUntil(() => collector.events.length >= 4, 5000, 'events after the idle session ended');
          expect(ids(collector.events)).toEqual(ids([...before, ...more]));
        } finally {
          await idle.query('ROLLBACK').catch(() => undefined);
          await idle.end();
          await subscription.close();
          await collector.done;
        }
      });
    });
  });
}
