import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type pg from 'pg';
import { PostgresEventStore, START, comparePositions, type GlobalPosition, type NewEvent, type RecordedEvent } from '@steward/event-store';
import { createTestEnv, type TestEnv } from '@steward/testing';
import { defineProjection, ProjectionHost, projectionSchema, type ProjectionHostOptions } from '../src';

export interface Fixture {
  readonly env: TestEnv;
  readonly store: PostgresEventStore;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  /** Appends one event per type to a fresh stream `<streamPrefix>-<uuid>` (one transaction). */
  append(streamPrefix: string, types: readonly string[]): Promise<void>;
  /**
   * The position of the newest event appended through this fixture. Wait for a
   * checkpoint to reach it, not for `headPosition()`: the store shows an append
   * only once no older transaction of the database is open, so the head can
   * briefly lag behind an append that already returned.
   */
  readonly lastAppended: GlobalPosition;
  host(options: Omit<ProjectionHostOptions, 'pool' | 'store'>): ProjectionHost;
  dispose(): Promise<void>;
}

export async function createFixture(): Promise<Fixture> {
  const env = await createTestEnv();
  const store = new PostgresEventStore({ pool: env.pool, schema: 'steward_events' });
  await store.migrate();
  const db = new Kysely({ dialect: new PostgresDialect({ pool: env.pool }) });
  const hosts: ProjectionHost[] = [];
  let lastAppended: GlobalPosition = START;
  return {
    get lastAppended() {
      return lastAppended;
    },
    env,
    store,
    db,
    async append(streamPrefix, types) {
      const streamId = `${streamPrefix}-${randomUUID()}`;
      await store.append(streamId, types.map((type) => newEvent(type)), { expectedRevision: 'no_stream' });
      const [last] = await store.readStream(streamId, { direction: 'backwards', maxCount: 1 });
      if (last && comparePositions(last.position, lastAppended) > 0) lastAppended = last.position;
    },
    host(options) {
      const host = new ProjectionHost({ pool: env.pool, store, meter: false, lockPollIntervalMs: 100, retryDelayMs: 50, ...options });
      hosts.push(host);
      return host;
    },
    async dispose() {
      await Promise.all(hosts.map((host) => host.stop()));
      await store.close();
      await env.dispose();
    },
  };
}

export function newEvent(type: string, data: Record<string, unknown> = {}): NewEvent {
  return {
    eventId: randomUUID(),
    type,
    version: 1,
    data,
    metadata: { correlationId: randomUUID(), actor: { type: 'system', id: 'test' }, occurredAt: new Date().toISOString() },
  };
}

export interface LedgerOptions {
  readonly name?: string;
  readonly eventTypes?: readonly string[];
  /** While true, a batch holding a `Poison` event writes what precedes it, then throws. */
  readonly poison?: { active: boolean };
  /** What a poisoned batch throws. Default: a plain Error (a bug: the poison is quarantined). */
  readonly poisonError?: () => Error;
  /** Each batch holding a `Slow` event waits for this before finishing. */
  readonly gate?: () => Promise<void>;
  readonly onBatch?: (events: readonly RecordedEvent[]) => void;
}

/**
 * Writes one row per event, keyed by event id with no conflict handling: an
 * event applied twice makes the batch fail, so a repeat can never go unseen.
 */
export function ledgerProjection(options: LedgerOptions = {}) {
  return defineProjection({
    name: options.name ?? 'ledger',
    version: 1,
    // Each test appends to its own streams (`<name>-…`): projections in one database never see another test's events.
    streamPrefixes: [`${options.name ?? 'ledger'}-`],
    ...(options.eventTypes ? { eventTypes: options.eventTypes } : {}),
    async migrate(db) {
      await db.schema
        .createTable('entries')
        .addColumn('event_id', 'uuid', (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('stream_id', 'text', (c) => c.notNull())
        .execute();
    },
    async handle(trx, events) {
      options.onBatch?.(events);
      const poisonAt = options.poison?.active ? events.findIndex((event) => event.type === 'Poison') : -1;
      const rows = (poisonAt >= 0 ? events.slice(0, poisonAt) : events).map((event) => ({
        event_id: event.eventId,
        type: event.type,
        stream_id: event.streamId,
      }));
      if (rows.length > 0) await trx.insertInto('entries').values(rows).execute();
      if (poisonAt >= 0) throw options.poisonError ? options.poisonError() : new Error('poisoned batch');
      if (options.gate && events.some((event) => event.type === 'Slow')) await options.gate();
    },
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function countEntries(db: Kysely<any>, name = 'ledger'): Promise<number> {
  const row = await db
    .withSchema(projectionSchema(name))
    .selectFrom('entries')
    .select(sql<string>`count(*)`.as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function terminateBackend(pool: pg.Pool, pid: number): Promise<void> {
  await pool.query('SELECT pg_terminate_backend($1)', [pid]);
}
