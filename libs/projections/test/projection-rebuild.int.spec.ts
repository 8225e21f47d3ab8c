import { sql } from 'kysely';
import { eventCountsProjection, projectionSchema, CheckpointRepository, type RebuildProgress } from '../src';
import { createFixture, type Fixture } from './projection.fixtures';

jest.setTimeout(60_000);

const TYPES = ['UsageRecorded', 'JobStarted', 'JobFinished'] as const;

describe('projection rebuild (PostgreSQL)', () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await createFixture();
  });

  afterAll(async () => {
    await f.dispose();
  });

  async function appendBatch(count: number): Promise<void> {
    await f.append('usage', Array.from({ length: count }, (_, i) => TYPES[i % TYPES.length]!));
  }

  async function readCounts(): Promise<Map<string, number>> {
    const rows = await f.db.withSchema(projectionSchema('event-counts')).selectFrom('event_counts').selectAll().execute();
    return new Map(rows.map((row) => [row.event_type as string, Number(row.events)]));
  }

  async function storeCounts(): Promise<Map<string, number>> {
    const { rows } = await sql<{ event_type: string; n: string }>`
      SELECT event_type, count(*) AS n FROM steward_events.events GROUP BY event_type`.execute(f.db);
    return new Map(rows.map((row) => [row.event_type, Number(row.n)]));
  }

  it('rebuilds from zero into a fresh schema and swaps it in while readers keep reading', async () => {
    for (let i = 0; i < 10; i++) await appendBatch(60);
    const host = f.host({ projections: [eventCountsProjection], instanceId: 'live-1', batchSize: 1000 });
    await host.start();
    const runner = host.runner('event-counts');
    await runner.waitForPosition(f.lastAppended);
    expect(await readCounts()).toEqual(await storeCounts());

    // Mark the live read model (a row no event explains) so the swap is visible: the rebuilt one lacks it.
    await sql`INSERT INTO rm_event_counts.event_counts VALUES ('Bogus', 0, now(), now())`.execute(f.db);
    expect((await readCounts()).get('Bogus')).toBe(0);

    // Readers: never an error, never an empty or partial model (each total at least the one before:
    // the live model only grows, and the rebuilt one is swapped in only once it has caught up).
    const reads = { count: 0, errors: [] as unknown[], drops: [] as string[], last: 0 };
    let reading = true;
    let writing = true;
    const reader = (async () => {
      while (reading) {
        try {
          const total = [...(await readCounts()).values()].reduce((a, b) => a + b, 0);
          if (total < reads.last || total < 600) reads.drops.push(`${reads.last} -> ${total}`);
          reads.last = total;
          reads.count++;
        } catch (error) {
          reads.errors.push(error);
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    // Writers keep appending during the rebuild: the tail must be caught up, not lost.
    const writer = (async () => {
      while (writing) {
        await appendBatch(10);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    })();

    const phases = new Set<string>();
    const progress: RebuildProgress[] = [];
    let result;
    try {
      result = await host.rebuild('event-counts', {
        batchSize: 100,
        progressIntervalMs: 0,
        onProgress: (p) => {
          phases.add(p.phase);
          progress.push(p);
        },
      });
      writing = false;
      await writer;
      // Let readers run a little after the swap too.
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      writing = false;
      reading = false;
      await Promise.all([writer, reader]);
    }

    expect(reads.errors).toEqual([]);
    expect(reads.count).toBeGreaterThan(20);
    expect(reads.drops).toEqual([]);
    expect([...phases]).toEqual(['replay', 'takeover', 'catch-up', 'swap', 'done']);
    expect(progress.at(-1)?.fraction).toBe(1);
    expect(result.eventsApplied).toBeGreaterThanOrEqual(600);

    // After the swap the live runner resumes on the new schema: exact counts, nothing doubled or lost.
    await runner.waitForPosition(f.lastAppended);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await runner.waitForPosition(f.lastAppended);
    const rebuilt = await readCounts();
    expect(rebuilt).toEqual(await storeCounts());
    expect(rebuilt.has('Bogus')).toBe(false);
    expect(runner.active).toBe(true);

    const checkpoint = await new CheckpointRepository(f.db).read('event-counts');
    expect(checkpoint?.rebuilds).toBe(1);
    const { rows } = await sql<{ nspname: string }>`
      SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rm\\_event\\_counts%' ORDER BY 1`.execute(f.db);
    expect(rows.map((row) => row.nspname)).toEqual(['rm_event_counts']);
    await host.stop();
  });

  it('rebuilds a projection that has no live runner, and a second rebuild replaces the first', async () => {
    const host = f.host({ projections: [eventCountsProjection], instanceId: 'cli-like' });
    const before = (await new CheckpointRepository(f.db).read('event-counts'))?.rebuilds ?? 0;
    const first = await host.rebuild('event-counts');
    const second = await host.rebuild('event-counts');
    expect(second.eventsApplied).toBe(first.eventsApplied);
    expect(await readCounts()).toEqual(await storeCounts());
    const checkpoint = await new CheckpointRepository(f.db).read('event-counts');
    expect(checkpoint?.rebuilds).toBe(before + 2);
    expect(checkpoint?.position).toEqual(await f.store.headPosition());
  });

  it('applies batches larger than a read page (several pages per transaction) and smaller ones alike: every event once', async () => {
    for (let i = 0; i < 9; i++) await appendBatch(500);
    const host = f.host({ projections: [eventCountsProjection], instanceId: 'pages-1' });
    const stored = [...(await storeCounts()).values()].reduce((a, b) => a + b, 0);
    for (const batchSize of [5_000, 3_000, 100_000]) {
      const result = await host.rebuild('event-counts', { batchSize });
      expect(result.eventsApplied).toBe(stored);
      expect(await readCounts()).toEqual(await storeCounts());
    }
  });
});
