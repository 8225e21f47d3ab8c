import pg from 'pg';
import type { BenchOptions } from './bench-options';
import { measure, warmupPlan, type BenchData, type MeasurementSink } from './measurement';
import { chunksOf, copyFromStdin, copyText } from './pg-copy';
import { batchesOf, type UsageEvent } from './usage-events';

const NAME = 'copy';

/**
 * The columns of an event-store row, in a plain table: no unique constraints,
 * no expected-revision check, no idempotency, defaults for the transaction id,
 * position and time. The ceiling for writing the same bytes.
 */
const TABLE = (name: string) => `
  CREATE TABLE ${name} (
    global_position bigserial PRIMARY KEY,
    transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    event_id uuid NOT NULL,
    stream_id text NOT NULL,
    stream_revision bigint NOT NULL,
    type text NOT NULL,
    version integer NOT NULL,
    data jsonb NOT NULL,
    metadata jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
  )`;

const COLUMNS = '(event_id, stream_id, stream_revision, type, version, data, metadata)';

/** Stream revisions are counted here (a raw COPY checks nothing, so the caller must). */
class Revisions {
  private readonly next = new Map<string, number>();

  take(streamId: string): number {
    const revision = this.next.get(streamId) ?? 0;
    this.next.set(streamId, revision + 1);
    return revision;
  }
}

function* lines(events: readonly UsageEvent[], revisions: Revisions): Generator<string> {
  for (const event of events) {
    yield `${event.eventId}\t${copyText(event.streamId)}\t${revisions.take(event.streamId)}\t${event.type}\t${event.version}\t${copyText(JSON.stringify(event.data))}\t${copyText(JSON.stringify(event.metadata))}\n`;
  }
}

async function copy(client: pg.ClientBase, table: string, events: readonly UsageEvent[], revisions: Revisions): Promise<number> {
  const copied = await copyFromStdin(client, `COPY ${table} ${COLUMNS} FROM STDIN`, chunksOf(lines(events, revisions)));
  if (copied !== events.length) throw new Error(`COPY wrote ${copied} rows, expected ${events.length}`);
  return copied;
}

export async function runRawCopy(options: BenchOptions, data: BenchData, databaseUrl: string, results: MeasurementSink): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(TABLE('events_per_batch'));
    await client.query(TABLE('events_one_copy'));
    const warmup = warmupPlan(data, options.batch);
    const warmRevisions = new Revisions();
    for (const batch of warmup.batches) await copy(client, 'events_per_batch', batch, warmRevisions);
    await copy(client, 'events_one_copy', warmup.singles, new Revisions());

    results.push(
      await measure(
        {
          contender: NAME,
          key: 'copy-batch',
          metric: `COPY ×${options.copyBatch} per statement`,
          note: 'COPY FROM STDIN per batch (own transaction), plain table',
        },
        async () => {
          const revisions = new Revisions();
          for (const batch of batchesOf(data.main, options.copyBatch)) await copy(client, 'events_per_batch', batch, revisions);
          return data.main.length;
        },
      ),
    );
    results.push(
      await measure(
        { contender: NAME, key: 'copy-one', metric: 'COPY all rows, one statement', note: 'one COPY FROM STDIN of the whole data set' },
        () => copy(client, 'events_one_copy', data.main, new Revisions()),
      ),
    );
    const { rows } = await client.query<{ count: string }>(
      'SELECT (SELECT count(*) FROM events_per_batch) + (SELECT count(*) FROM events_one_copy) AS count',
    );
    const expected = warmup.events + 2 * data.main.length;
    if (Number(rows[0]!.count) !== expected) throw new Error(`copy tables hold ${rows[0]!.count} rows, expected ${expected}`);
  } finally {
    await client.end();
  }
}
