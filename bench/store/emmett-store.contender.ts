import { getPostgreSQLEventStore, type PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import pg from 'pg';
import { parallelConnections, type BenchOptions } from './bench-options';
import { measure, runConcurrently, warmupPlan, workerStream, type BenchData, type MeasurementSink } from './measurement';
import { batchesOf, groupByStream, type UsageEvent } from './usage-events';

const NAME = 'emmett';

/** Emmett's message shape; the event id rides in metadata.messageId, where Emmett keeps its own id. */
function toMessage(event: UsageEvent): { type: string; data: Record<string, unknown>; metadata: Record<string, unknown> } {
  return {
    type: event.type,
    data: event.data as unknown as Record<string, unknown>,
    metadata: { ...event.metadata, messageId: event.eventId },
  };
}

/**
 * Emmett appends to one stream per call (one transaction each). A batch that
 * spans k streams is k calls: `sequential` awaits them one by one (in order,
 * as a consumer handling one pulled batch would), `parallel` sends them all at
 * once over the pool — the best Emmett can do with a multi-stream batch.
 */
async function appendBatch(store: PostgresEventStore, batch: readonly UsageEvent[], mode: 'sequential' | 'parallel') {
  const groups = [...groupByStream(batch)];
  if (mode === 'parallel') {
    await Promise.all(groups.map(([streamId, events]) => store.appendToStream(streamId, events.map(toMessage))));
    return;
  }
  for (const [streamId, events] of groups) await store.appendToStream(streamId, events.map(toMessage));
}

async function appendSingle(store: PostgresEventStore, event: UsageEvent, worker: number): Promise<void> {
  await store.appendToStream(workerStream(event, worker), [toMessage(event)]);
}

export async function runEmmett(options: BenchOptions, data: BenchData, databaseUrl: string, results: MeasurementSink): Promise<void> {
  // Our own pool (closed below), sized like Steward's, so concurrency 16 is not capped by pg's default of 10.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.concurrency });
  const store = getPostgreSQLEventStore(databaseUrl, { connectionOptions: { pool } });
  try {
    await store.schema.migrate();
    const warmup = warmupPlan(data, options.batch);
    for (const batch of warmup.batches) await appendBatch(store, batch, 'sequential');
    await runConcurrently(warmup.singles.length, options.concurrency, (i, w) => appendSingle(store, warmup.singles[i]!, w));

    const perCall = `${options.streamsPerBatch} appendToStream calls per batch`;
    // Half the data set each way: both modes append the same kind of rows, and the table ends at one data set.
    const half = Math.floor(data.main.length / 2);
    results.push(
      await measure(
        { contender: NAME, key: 'batch-sequential', metric: `batch append ×${options.batch}, sequential`, note: `${perCall}, one after another` },
        async () => {
          for (const batch of batchesOf(data.main.slice(0, half), options.batch)) await appendBatch(store, batch, 'sequential');
          return half;
        },
      ),
    );
    results.push(
      await measure(
        { contender: NAME, key: 'batch-parallel', metric: `batch append ×${options.batch}, parallel`, note: `${perCall}, all at once (${parallelConnections(options)} connections)` },
        async () => {
          for (const batch of batchesOf(data.main.slice(half), options.batch)) await appendBatch(store, batch, 'parallel');
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
    const { rows } = await pool.query<{ count: string }>('SELECT count(*)::text AS count FROM emt_messages');
    const expected = warmup.events + data.main.length + data.single.length + data.concurrent.length;
    if (Number(rows[0]!.count) !== expected) {
      throw new Error(`emmett holds ${rows[0]!.count} messages, expected ${expected}`);
    }
  } finally {
    await store.close();
    await pool.end();
  }
}
