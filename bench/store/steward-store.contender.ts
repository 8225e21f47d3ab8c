import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import {
  PostgresEventStore,
  START,
  comparePositions,
  formatPosition,
  type AppendRequest,
  type EventStore,
  type NewEvent,
} from '@steward/event-store';
import { ProjectionRebuilder, defineProjection, projectionSchema, type ProjectionLogger } from '@steward/projections';
import { parallelConnections, type BenchOptions } from './bench-options';
import { hourlyRollupProjection, ROLLUP_TABLE, type RollupDB } from './hourly-rollup.projection';
import { measure, runConcurrently, warmupPlan, workerStream, type BenchData, type MeasurementSink } from './measurement';
import { batchesOf, groupByStream, totalsOf, type UsageEvent, type UsageTotals } from './usage-events';

const NAME = 'steward';
const READ_MODEL_SCHEMA = 'bench_read';

function toNewEvent(event: UsageEvent): NewEvent {
  return { eventId: event.eventId, type: event.type, version: event.version, data: event.data, metadata: event.metadata };
}

/** One ingest batch = one appendMany: every stream it touches, atomically, without a revision check. */
async function appendBatch(store: EventStore, batch: readonly UsageEvent[]): Promise<void> {
  const requests: AppendRequest[] = [...groupByStream(batch)].map(([streamId, events]) => ({
    streamId,
    events: events.map(toNewEvent),
    expectedRevision: 'any',
  }));
  await store.appendMany(requests);
}

async function appendSingle(store: EventStore, event: UsageEvent, worker: number): Promise<void> {
  await store.append(workerStream(event, worker), [toNewEvent(event)], { expectedRevision: 'any' });
}

async function readEverything(store: EventStore, page: number): Promise<number> {
  let from = START;
  let count = 0;
  for (;;) {
    const result = await store.readAll({ from, maxCount: page });
    count += result.events.length;
    from = result.checkpoint;
    if (result.isEnd) return count;
  }
}

const quiet: ProjectionLogger = {
  info: () => undefined,
  warn: (fields, message) => console.warn(`  [projections] ${message}`, fields),
  error: (fields, message) => console.error(`  [projections] ${message}`, fields),
};

/** The real thing: `@steward/projections` rebuilds the rollup into a fresh schema and swaps it in. */
async function rebuildRollup(store: EventStore, db: Kysely<RollupDB>, databaseUrl: string, page: number): Promise<number> {
  const rebuilder = new ProjectionRebuilder({ db, store, lockConnection: { connectionString: databaseUrl }, logger: quiet });
  const result = await rebuilder.rebuild(defineProjection<RollupDB>(hourlyRollupProjection), { batchSize: page });
  return result.eventsApplied;
}

/**
 * The same replay written out without the library, for comparison: page through the store
 * with readAll, and per page, in one transaction, upsert the rollup and store
 * the checkpoint.
 */
async function replayRollup(store: EventStore, db: Kysely<RollupDB>, page: number): Promise<number> {
  await db.schema.createSchema(READ_MODEL_SCHEMA).execute();
  await hourlyRollupProjection.migrate(db.withSchema(READ_MODEL_SCHEMA));
  await db.withSchema(READ_MODEL_SCHEMA).schema.createTable('checkpoint').addColumn('position', 'text').execute();
  await sql`INSERT INTO ${sql.table(`${READ_MODEL_SCHEMA}.checkpoint`)} (position) VALUES ('0/0')`.execute(db);
  let from = START;
  let applied = 0;
  for (;;) {
    const result = await store.readAll({ from, maxCount: page, filter: { eventTypes: hourlyRollupProjection.eventTypes } });
    if (result.events.length > 0) {
      await db.transaction().execute(async (trx) => {
        await hourlyRollupProjection.handle(trx.withSchema(READ_MODEL_SCHEMA), result.events);
        await sql`UPDATE ${sql.table(`${READ_MODEL_SCHEMA}.checkpoint`)} SET position = ${formatPosition(result.checkpoint)}`.execute(trx);
      });
    }
    applied += result.events.length;
    from = result.checkpoint;
    if (result.isEnd) return applied;
  }
}

/**
 * Readers see only events below the visibility horizon (DESIGN §4): another
 * session's long transaction can hide our appends for a while. Wait (untimed)
 * until the store's own head reaches the newest row in its table, and say so.
 */
async function waitUntilVisible(store: PostgresEventStore, pool: pg.Pool, timeoutMs = 180_000): Promise<void> {
  const { rows } = await pool.query<{ tx: string; gp: string }>(
    `SELECT transaction_id::text AS tx, global_position::text AS gp FROM "${store.schema}".events
      ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
  );
  const newest = rows[0] ? { commit: BigInt(rows[0].tx), prepare: BigInt(rows[0].gp) } : START;
  const started = Date.now();
  let reported = false;
  while (comparePositions(await store.headPosition(), newest) < 0) {
    if (!reported) {
      const holders = await pool.query<{ pid: number; datname: string; state: string; age: string }>(
        `SELECT pid, datname, state, (now() - xact_start)::text AS age FROM pg_stat_activity
          WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() ORDER BY xact_start LIMIT 3`,
      );
      const who = holders.rows.map((h) => `pid ${h.pid} in ${h.datname} (${h.state}, ${h.age})`).join('; ');
      console.log(`  waiting: an older open transaction hides the last appends from readers: ${who || 'gone already'}`);
      reported = true;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`appended events still invisible after ${timeoutMs / 1000} s: another session keeps a transaction open`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (reported) console.log(`  (waited ${((Date.now() - started) / 1000).toFixed(1)} s for the visibility horizon, untimed)`);
}

/**
 * Untimed, before the read phases: VACUUM (ANALYZE) the freshly appended
 * events, as autovacuum does to any table a while after a bulk load. Without
 * it, whichever phase reads first pays for setting every row's hint bits
 * (writing each page again) while autovacuum competes for the same cores, and
 * read-all, rebuild and replay loop are not comparable (a rebuild reads
 * settled events).
 */
async function settle(pool: pg.Pool, schema: string): Promise<void> {
  const started = Date.now();
  await pool.query(`VACUUM (ANALYZE) "${schema}".events`);
  console.log(`  (untimed: VACUUM (ANALYZE) of the appended events, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

async function checkRollup(db: Kysely<RollupDB>, schema: string, expected: UsageTotals): Promise<void> {
  const row = await db
    .withSchema(schema)
    .selectFrom(ROLLUP_TABLE)
    .select((eb) => [
      eb.fn.sum<string>('calls').as('calls'),
      eb.fn.sum<string>('input_tokens').as('input_tokens'),
      eb.fn.sum<string>('output_tokens').as('output_tokens'),
    ])
    .executeTakeFirstOrThrow();
  const actual = { events: Number(row.calls), inputTokens: Number(row.input_tokens), outputTokens: Number(row.output_tokens) };
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`rollup in ${schema} holds ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
}

export async function runSteward(options: BenchOptions, data: BenchData, databaseUrl: string, results: MeasurementSink): Promise<void> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.concurrency });
  const store = new PostgresEventStore({ pool, connectionString: databaseUrl });
  const db = new Kysely<RollupDB>({ dialect: new PostgresDialect({ pool }) });
  try {
    await store.migrate();
    const warmup = warmupPlan(data, options.batch);
    for (const batch of warmup.batches) await appendBatch(store, batch);
    await runConcurrently(warmup.singles.length, options.concurrency, (i, w) => appendSingle(store, warmup.singles[i]!, w));
    const stored = warmup.events + data.main.length + data.single.length + data.concurrent.length;

    // Like Emmett's two modes, half the data set each: `sequential` appends one
    // batch after another; `parallel` keeps as many batches in flight as
    // Emmett's parallel mode uses connections (one per stream of a batch), each
    // batch still one atomic appendMany.
    const half = Math.floor(data.main.length / 2);
    const perCall = `one appendMany per batch (${options.streamsPerBatch} streams, atomic)`;
    results.push(
      await measure(
        { contender: NAME, key: 'batch', metric: `batch append ×${options.batch}, sequential`, note: `${perCall}, one after another` },
        async () => {
          for (const batch of batchesOf(data.main.slice(0, half), options.batch)) await appendBatch(store, batch);
          return half;
        },
      ),
    );
    results.push(
      await measure(
        {
          contender: NAME,
          key: 'batch-parallel',
          metric: `batch append ×${options.batch}, parallel`,
          note: `${perCall}, ${parallelConnections(options)} batches in flight`,
        },
        async () => {
          const batches = batchesOf(data.main.slice(half), options.batch);
          await runConcurrently(batches.length, parallelConnections(options), (i) => appendBatch(store, batches[i]!));
          return data.main.length - half;
        },
      ),
    );
    results.push(
      await measure({ contender: NAME, key: 'single-c1', metric: 'single-event append c=1' }, async () => {
        await runConcurrently(data.single.length, 1, (i, w) => appendSingle(store, data.single[i]!, w));
        return data.single.length;
      }),
    );
    results.push(
      await measure(
        { contender: NAME, key: 'single-cN', metric: `single-event append c=${options.concurrency}` },
        async () => {
          await runConcurrently(data.concurrent.length, options.concurrency, (i, w) =>
            appendSingle(store, data.concurrent[i]!, w),
          );
          return data.concurrent.length;
        },
      ),
    );
    await waitUntilVisible(store, pool);
    await settle(pool, store.schema);
    results.push(
      await measure(
        { contender: NAME, key: 'read-all', metric: `read-all, pages of ${options.page}`, note: 'readAll from START to the end' },
        async () => {
          const count = await readEverything(store, options.page);
          if (count !== stored) throw new Error(`readAll returned ${count} events, expected ${stored}`);
          return count;
        },
      ),
    );
    results.push(
      await measure(
        {
          contender: NAME,
          key: 'replay',
          metric: `projection rebuild, pages of ${options.replayPage}`,
          note: '@steward/projections ProjectionRebuilder.rebuild: replay into a fresh schema, swap',
        },
        () => rebuildRollup(store, db, databaseUrl, options.replayPage),
      ),
    );
    results.push(
      await measure(
        {
          contender: NAME,
          key: 'replay-loop',
          metric: `replay loop, pages of ${options.replayPage}`,
          note: 'bench loop, no library: readAll, upsert + checkpoint per page',
        },
        () => replayRollup(store, db, options.replayPage),
      ),
    );
    const expected = totalsOf([...warmup.batches.flat(), ...warmup.singles, ...data.main, ...data.single, ...data.concurrent]);
    await checkRollup(db, projectionSchema(hourlyRollupProjection.name), expected);
    await checkRollup(db, READ_MODEL_SCHEMA, expected);
  } finally {
    await store.close();
    await db.destroy();
  }
}
