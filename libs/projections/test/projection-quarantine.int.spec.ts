import { sql } from 'kysely';
import pg from 'pg';
import { MeterProvider, MetricReader, type GaugeMetricData, type SumMetricData } from '@opentelemetry/sdk-metrics';
import type { GlobalPosition, NewEvent } from '@steward/event-store';
import {
  CheckpointRepository,
  PROJECTION_QUARANTINED_EVENTS,
  PROJECTION_QUARANTINE_SIZE,
  QuarantineRepository,
  defineProjection,
  readQuarantineCounts,
  registerProjectionMetrics,
  type ProjectionLogger,
} from '../src';
import { countEntries, createFixture, eventually, ledgerProjection, newEvent, type Fixture } from './projection.fixtures';

jest.setTimeout(60_000);

const LOCK_KEY = 7_311_042;

class OnDemandReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

interface LogLine {
  readonly level: string;
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

function capturingLogger(lines: LogLine[]): ProjectionLogger {
  return {
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
    error: (fields, message) => lines.push({ level: 'error', fields, message }),
  };
}

describe('projection quarantine (PostgreSQL)', () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await createFixture();
  });

  afterAll(async () => {
    await f.dispose();
  });

  /** Appends to a new stream `<prefix>-<tenant>-…` and returns the position of its last event. */
  async function append(prefix: string, tenant: string, events: readonly NewEvent[]): Promise<GlobalPosition> {
    const streamId = `${prefix}-${tenant}-${events[0]!.eventId}`;
    await f.store.append(streamId, events, { expectedRevision: 'no_stream' });
    const [last] = await f.store.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    return last!.position;
  }

  it('quarantines the one event it cannot apply, applies every other once, reports it, and replays it once fixed', async () => {
    const poison = { active: true };
    // The error quotes the value, as PostgreSQL does: the log must not carry it.
    const projection = ledgerProjection({ name: 'quar', poison, poisonError: () => new Error('bad value "ada@example.com"') });
    const lines: LogLine[] = [];
    const reader = new OnDemandReader();
    const provider = new MeterProvider({ readers: [reader] });
    const host = f.host({ projections: [projection], instanceId: 'quar-1', logger: capturingLogger(lines), meter: provider.getMeter('quar') });

    const bad = newEvent('Poison', { email: 'ada@example.com' });
    await append('quar', 'tenant-a', [newEvent('Good'), bad, newEvent('Good')]);
    const head = await append('quar', 'tenant-b', [newEvent('Good'), newEvent('Good')]);
    await host.start();
    const runner = host.runner('quar');
    await runner.waitForPosition(head, 20_000);

    // Everything but the poison applied, once (entries are keyed by event id: a repeat fails the batch).
    expect(await countEntries(f.db, 'quar')).toBe(4);
    expect((await new CheckpointRepository(f.db).read('quar'))?.eventsApplied).toBe(4n);
    const [row, ...others] = await host.quarantined('quar');
    expect(others).toEqual([]);
    const [stored] = await f.store.readStream(row!.streamId, { fromRevision: 1n, maxCount: 1 });
    expect(row).toMatchObject({
      projection: 'quar',
      eventId: bad.eventId,
      streamId: expect.stringMatching(/^quar-tenant-a-/),
      streamRevision: 1n,
      eventType: 'Poison',
      position: stored!.position,
      errorCode: 'Error',
      errorMessage: 'bad value "ada@example.com"',
      replayAttempts: 0,
    });

    // Health: degraded with the count, in the status, the gauge, the counter and the gateway's query.
    expect(await runner.status()).toMatchObject({ name: 'quar', quarantined: 1, health: 'degraded', lastError: undefined });
    expect(await readQuarantineCounts(f.env.pool)).toMatchObject({ quar: 1 });
    const stopGauges = registerProjectionMetrics(() => host.status(), provider.getMeter('quar-gauges'));
    const { resourceMetrics } = await reader.collect();
    const metrics = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
    const counter = metrics.find((m) => m.descriptor.name === PROJECTION_QUARANTINED_EVENTS) as SumMetricData | undefined;
    expect(counter?.dataPoints.map((point) => [point.attributes, point.value])).toEqual([[{ projection: 'quar', event_type: 'Poison' }, 1]]);
    const size = metrics.find((m) => m.descriptor.name === PROJECTION_QUARANTINE_SIZE) as GaugeMetricData | undefined;
    expect(size?.dataPoints.find((point) => point.attributes.projection === 'quar')?.value).toBe(1);
    stopGauges();

    // One error line naming the event, never its data.
    const logged = lines.filter((line) => line.level === 'error' && line.fields.eventId === bad.eventId);
    expect(logged).toHaveLength(1);
    expect(logged[0]!.message).toContain('replay-quarantine quar');
    expect(logged[0]!.fields).toMatchObject({ projection: 'quar', eventType: 'Poison', err: 'bad value "…"' });
    expect(JSON.stringify(lines)).not.toContain('ada@example.com');

    // The tenants' later events keep flowing.
    const later = await append('quar', 'tenant-a', [newEvent('Good')]);
    await runner.waitForPosition(later, 20_000);
    expect(await countEntries(f.db, 'quar')).toBe(5);

    // A replay before the fix: the event fails again and stays, its attempt counted.
    const early = await host.replayQuarantine('quar');
    expect(early).toMatchObject({ replayed: 0, failed: 1 });
    expect(await host.quarantined('quar')).toEqual([expect.objectContaining({ eventId: bad.eventId, replayAttempts: 1 })]);

    // The fix, then the replay: applied once, out of the quarantine, healthy again.
    poison.active = false;
    expect(await host.replayQuarantine('quar')).toMatchObject({ replayed: 1, failed: 0 });
    const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM rm_quar.entries WHERE event_id = ${bad.eventId}`.execute(f.db);
    expect(rows[0]!.n).toBe('1');
    expect(await countEntries(f.db, 'quar')).toBe(6);
    expect(await host.quarantined('quar')).toEqual([]);
    expect(await runner.status()).toMatchObject({ quarantined: 0, health: 'ok' });
    expect(await readQuarantineCounts(f.env.pool)).not.toHaveProperty('quar');
    // A second replay finds nothing to do.
    expect(await host.replayQuarantine('quar')).toMatchObject({ replayed: 0, failed: 0, events: [] });
    expect(await countEntries(f.db, 'quar')).toBe(6);
    await host.stop();
    await provider.shutdown();
  });

  it('retries a transient failure (a lock timeout) from the checkpoint and quarantines nothing', async () => {
    const projection = defineProjection({
      name: 'locked',
      version: 1,
      streamPrefixes: ['locked-'],
      async migrate(db) {
        await db.schema.createTable('counter').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('n', 'integer', (c) => c.notNull()).execute();
        await db.insertInto('counter').values({ id: 1, n: 0 }).execute();
      },
      async handle(trx, events) {
        await sql`SET LOCAL lock_timeout = '100ms'`.execute(trx);
        await sql`SELECT pg_advisory_xact_lock(${LOCK_KEY})`.execute(trx);
        await sql`UPDATE counter SET n = n + ${events.length} WHERE id = 1`.execute(trx);
      },
    });
    const host = f.host({ projections: [projection], instanceId: 'locked-1', logger: capturingLogger([]) });
    await host.start();
    const runner = host.runner('locked');
    await eventually(async () => (await runner.status()).storedVersion === 1, 20_000, 'the read model to exist');

    const holder = new pg.Client({ connectionString: f.env.databaseUrl });
    await holder.connect();
    try {
      // A session lock, outside any transaction: an open transaction would hold the store's readers back instead.
      await holder.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
      const head = await append('locked', 'tenant-a', [newEvent('A'), newEvent('B'), newEvent('C')]);
      await eventually(async () => /lock timeout/.test(runner.lastError?.message ?? ''), 20_000, 'the lock timeout');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await host.quarantined('locked')).toEqual([]);
      expect((await new CheckpointRepository(f.db).read('locked'))?.eventsApplied).toBe(0n);

      await holder.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
      await runner.waitForPosition(head, 20_000);
      const { rows } = await sql<{ n: number }>`SELECT n FROM rm_locked.counter WHERE id = 1`.execute(f.db);
      expect(rows[0]!.n).toBe(3);
      expect(await host.quarantined('locked')).toEqual([]);
      expect((await runner.status()).health).toBe('ok');
    } finally {
      await holder.end();
      await host.stop();
    }
  });

  it('quarantines nothing when every event of a batch fails alone (the code is at fault): it stops and retries until fixed', async () => {
    const poison = { active: true };
    const projection = ledgerProjection({ name: 'broken', poison });
    await append('broken', 'tenant-a', [newEvent('Poison'), newEvent('Poison'), newEvent('Poison')]);
    const head = await append('broken', 'tenant-b', [newEvent('Poison')]);
    const host = f.host({ projections: [projection], instanceId: 'broken-1', logger: capturingLogger([]) });
    await host.start();
    const runner = host.runner('broken');
    await eventually(async () => /every one of the 4 events/.test(runner.lastError?.message ?? ''), 20_000, 'the batch to be refused whole');
    expect(await host.quarantined('broken')).toEqual([]);
    expect((await runner.status()).health).toBe('ok');

    poison.active = false;
    await runner.waitForPosition(head, 20_000);
    expect(await countEntries(f.db, 'broken')).toBe(4);
    expect(await host.quarantined('broken')).toEqual([]);
    await host.stop();
  });

  it('quarantines a lone failing event, but not the next one until an event applies in between', async () => {
    const poison = { active: true };
    const projection = ledgerProjection({ name: 'lone', poison });
    const host = f.host({ projections: [projection], instanceId: 'lone-1', logger: capturingLogger([]) });
    await host.start();
    const runner = host.runner('lone');
    const first = newEvent('Poison');
    let head = await append('lone', 'tenant-a', [first]);
    await runner.waitForPosition(head, 20_000);
    expect((await host.quarantined('lone')).map((row) => row.eventId)).toEqual([first.eventId]);

    // A second lone failure right after: it waits, as a broken release would make every event fail.
    const second = newEvent('Poison');
    await append('lone', 'tenant-a', [second]);
    await eventually(async () => /no event applied since the last one quarantined/.test(runner.lastError?.message ?? ''), 20_000, 'the second lone failure to wait');
    expect(await host.quarantined('lone')).toHaveLength(1);

    // An event that applies joins its batch: the second is quarantined and the projection moves on.
    head = await append('lone', 'tenant-b', [newEvent('Good')]);
    await runner.waitForPosition(head, 20_000);
    expect((await host.quarantined('lone')).map((row) => row.eventId)).toEqual([first.eventId, second.eventId]);
    expect(await countEntries(f.db, 'lone')).toBe(1);
    await host.stop();
  });

  it('a rebuild builds the read model without the poison and makes it the quarantine', async () => {
    const poison = { active: true };
    const projection = ledgerProjection({ name: 'rebuilt', poison });
    await append('rebuilt', 'tenant-a', [newEvent('Good'), newEvent('Poison')]);
    await append('rebuilt', 'tenant-b', [newEvent('Good'), newEvent('Good')]);
    // A stale row (from the read model being replaced) must not survive the swap.
    const stale = newEvent('Good');
    await new QuarantineRepository(f.db).add(f.db, 'rebuilt', [
      { event: { ...stale, streamId: 'rebuilt-x', streamRevision: 0n, position: { commit: 1n, prepare: 1n }, recordedAt: new Date() }, error: new Error('old') },
    ]);
    const host = f.host({ projections: [projection], instanceId: 'rebuilt-1', logger: capturingLogger([]) });
    const result = await host.rebuild('rebuilt');
    expect(result.eventsApplied).toBe(3);
    expect(await countEntries(f.db, 'rebuilt')).toBe(3);
    expect((await host.quarantined('rebuilt')).map((row) => row.eventType)).toEqual(['Poison']);

    poison.active = false;
    expect(await host.replayQuarantine('rebuilt')).toMatchObject({ replayed: 1, failed: 0 });
    expect(await countEntries(f.db, 'rebuilt')).toBe(4);
  });
});
