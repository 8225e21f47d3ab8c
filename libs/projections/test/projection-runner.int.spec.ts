import { MeterProvider, MetricReader, type GaugeMetricData } from '@opentelemetry/sdk-metrics';
import { START, comparePositions } from '@steward/event-store';
import {
  CheckpointRepository,
  PROJECTION_LAG_EVENTS,
  PROJECTION_LAG_SECONDS,
  ProjectionError,
  ProjectionErrorCode,
  defineProjection,
  projectionSchema,
  registerProjectionMetrics,
} from '../src';
import { countEntries, createFixture, eventually, ledgerProjection, terminateBackend, type Fixture } from './projection.fixtures';

jest.setTimeout(30_000);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects on demand (the SDK's own reader, without an exporter). */
class OnDemandReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

describe('projection runner (PostgreSQL)', () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await createFixture();
  });

  afterAll(async () => {
    await f.dispose();
  });

  it('applies a batch and its checkpoint atomically: a transient failure mid-batch moves neither, and quarantines nothing', async () => {
    const poison = { active: true };
    const serializationFailure = (): Error => Object.assign(new Error('poisoned batch'), { code: '40001' });
    const projection = ledgerProjection({ name: 'atomic', poison, poisonError: serializationFailure });
    const host = f.host({ projections: [projection], instanceId: 'atomic-1' });
    await f.append('atomic', ['Good', 'Good', 'Good', 'Poison', 'Good']);
    await host.start();
    const runner = host.runner('atomic');
    await eventually(async () => runner.lastError?.message === 'poisoned batch', 10_000, 'the poisoned batch to fail');

    // Several failed attempts later: nothing written, checkpoint still at the start.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await countEntries(f.db, 'atomic')).toBe(0);
    const checkpoints = new CheckpointRepository(f.db);
    const stuck = await checkpoints.read('atomic');
    expect(stuck?.position).toEqual(START);
    expect(stuck?.eventsApplied).toBe(0n);
    expect((await runner.status()).quarantined).toBe(0);

    poison.active = false;
    const head = f.lastAppended;
    const done = await runner.waitForPosition(head);
    expect(await countEntries(f.db, 'atomic')).toBe(5);
    expect(done.eventsApplied).toBe(5n);
    expect(done.position).toEqual(head);
    await host.stop();
  });

  it('resumes after a restart from its checkpoint, without repeating or skipping an event', async () => {
    const projection = ledgerProjection({ name: 'resume' });
    for (let i = 0; i < 5; i++) await f.append('resume', ['A', 'B']);
    const first = f.host({ projections: [projection], instanceId: 'resume-1' });
    await first.start();
    await first.runner('resume').waitForPosition(f.lastAppended);
    await first.stop();
    expect(await countEntries(f.db, 'resume')).toBe(10);

    for (let i = 0; i < 5; i++) await f.append('resume', ['C', 'D', 'E']);
    const batches: number[] = [];
    const second = f.host({
      projections: [ledgerProjection({ name: 'resume', onBatch: (events) => batches.push(events.length) })],
      instanceId: 'resume-2',
    });
    await second.start();
    const head = f.lastAppended;
    const checkpoint = await second.runner('resume').waitForPosition(head);
    // Every entry is keyed by event id: a repeat would have failed the batch.
    expect(second.runner('resume').lastError).toBeUndefined();
    expect(await countEntries(f.db, 'resume')).toBe(25);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(15);
    expect(checkpoint.eventsApplied).toBe(25n);
    await second.stop();
  });

  it('paces live batches (minBatchIntervalMs): what arrives meanwhile gathers into the next batch, once; a stop wakes the pause', async () => {
    const batches: number[] = [];
    const projection = defineProjection({ ...ledgerProjection({ name: 'paced', onBatch: (events) => batches.push(events.length) }), minBatchIntervalMs: 3_000 });
    const host = f.host({ projections: [projection], instanceId: 'paced-1' });
    await host.start();
    const runner = host.runner('paced');
    await f.append('paced', ['P0']);
    await runner.waitForPosition(f.lastAppended);
    // the batch of P0 opened a pause: six appends, 30 ms apart, land in it
    for (let i = 1; i <= 6; i++) {
      await f.append('paced', [`P${i}`]);
      await sleep(30);
    }
    const done = await runner.waitForPosition(f.lastAppended);
    expect(done.eventsApplied).toBe(7n);
    expect(await countEntries(f.db, 'paced')).toBe(7);
    expect(batches).toEqual([1, 6]);
    // a new pause has begun; stopping does not wait for it to end
    const stopping = Date.now();
    await host.stop();
    expect(Date.now() - stopping).toBeLessThan(2_000);
  });

  it('refuses a negative minBatchIntervalMs', () => {
    expect(() => defineProjection({ ...ledgerProjection({ name: 'badpace' }), minBatchIntervalMs: -1 })).toThrow(/minBatchIntervalMs/);
  });

  it('delivers only the event types the projection asks for, and moves the checkpoint past the others', async () => {
    const seen: string[] = [];
    const projection = defineProjection({
      name: 'filtered',
      version: 1,
      async migrate(db) {
        await db.schema.createTable('seen').addColumn('event_id', 'uuid', (c) => c.primaryKey()).addColumn('type', 'text').execute();
      },
      handlers: {
        async Wanted(trx, event) {
          seen.push(event.type);
          await trx.insertInto('seen').values({ event_id: event.eventId, type: event.type }).execute();
        },
      },
    });
    expect(projection.eventTypes).toEqual(['Wanted']);
    await f.append('filtered', ['Wanted', 'Other', 'Wanted', 'Noise']);
    await f.append('filtered', ['Other', 'Other']);
    const host = f.host({ projections: [projection], instanceId: 'filtered-1' });
    await host.start();
    const head = f.lastAppended;
    const checkpoint = await host.runner('filtered').waitForPosition(head);
    expect(comparePositions(checkpoint.position, head)).toBe(0);
    expect(seen).toEqual(['Wanted', 'Wanted']);
    const rows = await f.db.withSchema(projectionSchema('filtered')).selectFrom('seen').selectAll().execute();
    expect(rows.map((row) => row.type)).toEqual(['Wanted', 'Wanted']);
    const [status] = await host.status();
    expect(status).toMatchObject({ name: 'filtered', active: true, lagEvents: 0, lagSeconds: 0 });
    await host.stop();
  });

  it('refuses a checkpoint write from a stale epoch or a stale position (fencing)', async () => {
    const checkpoints = new CheckpointRepository(f.db);
    await f.db.transaction().execute((trx) => checkpoints.initialize(trx, 'fenced', 1));
    const a = await checkpoints.claim(f.db, 'fenced', 'a');
    const b = await checkpoints.claim(f.db, 'fenced', 'b');
    expect(b.epoch).toBe(a.epoch + 1n);
    const to = { commit: 10n, prepare: 10n };

    const stale = f.db.transaction().execute((trx) =>
      checkpoints.advance(trx, { name: 'fenced', epoch: a.epoch, from: START, to, eventsApplied: 1, lastEventAt: null }),
    );
    await expect(stale).rejects.toMatchObject({ code: ProjectionErrorCode.Fenced });
    await f.db.transaction().execute((trx) =>
      checkpoints.advance(trx, { name: 'fenced', epoch: b.epoch, from: START, to, eventsApplied: 1, lastEventAt: null }),
    );
    // The current epoch but a position that moved meanwhile: refused too.
    const moved = f.db.transaction().execute((trx) =>
      checkpoints.advance(trx, { name: 'fenced', epoch: b.epoch, from: START, to: { commit: 11n, prepare: 11n }, eventsApplied: 1, lastEventAt: null }),
    );
    await expect(moved).rejects.toBeInstanceOf(ProjectionError);
    expect((await checkpoints.read('fenced'))?.position).toEqual(to);
  });

  it('a deposed instance cannot commit the batch it was applying when it lost the lock', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const entered = { value: false };
    const stale = f.host({
      projections: [ledgerProjection({ name: 'deposed', gate: () => ((entered.value = true), gate) })],
      instanceId: 'deposed-a',
    });
    try {
      await f.append('deposed', ['Good', 'Slow', 'Good']);
      await stale.start();
      await eventually(async () => entered.value, 10_000, 'the first instance to hold a batch open');

      // The first instance's lock connection dies (as if its host crashed): a second one takes over,
      // while the first still holds its batch's transaction open.
      await terminateBackend(f.env.pool, (await stale.runner('deposed').lockBackendPid())!);
      const successor = f.host({ projections: [ledgerProjection({ name: 'deposed' })], instanceId: 'deposed-b' });
      await successor.start();
      await eventually(async () => successor.runner('deposed').active, 5_000, 'the successor to lead');

      // Now the stale batch tries to finish: refused and rolled back; the successor applies everything once.
      release();
      await successor.runner('deposed').waitForPosition(f.lastAppended);
      expect(stale.runner('deposed').active).toBe(false);
      expect(await countEntries(f.db, 'deposed')).toBe(3);
      const checkpoint = await new CheckpointRepository(f.db).read('deposed');
      expect(checkpoint?.owner).toBe('deposed-b');
      expect(checkpoint?.eventsApplied).toBe(3n);
      await stale.stop();
      await successor.stop();
    } finally {
      release();
    }
  });

  it('runs one active instance per projection; a standby takes over within seconds when the leader dies', async () => {
    const applied = { a: 0, b: 0 };
    const a = f.host({ projections: [ledgerProjection({ name: 'elected', onBatch: (e) => (applied.a += e.length) })], instanceId: 'a' });
    const b = f.host({ projections: [ledgerProjection({ name: 'elected', onBatch: (e) => (applied.b += e.length) })], instanceId: 'b' });
    await a.start();
    await eventually(async () => a.runner('elected').active, 5_000, 'a to lead');
    await b.start();
    for (let i = 0; i < 10; i++) await f.append('elected', ['X', 'Y']);
    await a.runner('elected').waitForPosition(f.lastAppended);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(a.runner('elected').active).toBe(true);
    expect(b.runner('elected').active).toBe(false);
    expect(b.runner('elected').state).toBe('standby');
    expect(applied).toEqual({ a: 20, b: 0 });

    // The leader's lock connection closes (its process died): b must take over within seconds.
    const killedAt = Date.now();
    await terminateBackend(f.env.pool, (await a.runner('elected').lockBackendPid())!);
    await eventually(async () => b.runner('elected').active, 5_000, 'b to take over');
    const takeoverMs = Date.now() - killedAt;
    expect(takeoverMs).toBeLessThan(3_000);
    await a.stop(); // a would otherwise wait as the standby now
    for (let i = 0; i < 5; i++) await f.append('elected', ['Z']);
    await b.runner('elected').waitForPosition(f.lastAppended);
    expect(applied.b).toBe(5);
    expect(await countEntries(f.db, 'elected')).toBe(25);
    await b.stop();
  });

  it('reports lag while behind (events behind, age of the oldest unapplied event) and zero once caught up', async () => {
    const first = f.host({ projections: [ledgerProjection({ name: 'lagging' })], instanceId: 'lag-1' });
    await f.append('lagging', ['L1']);
    await first.start();
    await first.runner('lagging').waitForPosition(f.lastAppended);
    expect(await first.runner('lagging').status()).toMatchObject({ active: true, lagEvents: 0, lagSeconds: 0 });
    await first.stop();

    // Stopped: three events arrive, the oldest 400 ms before the others.
    const appendedFrom = Date.now();
    await f.append('lagging', ['L2']);
    await sleep(400);
    await f.append('lagging', ['L3', 'L4']);
    const second = f.host({ projections: [ledgerProjection({ name: 'lagging' })], instanceId: 'lag-2' });
    // The store shows an append once no older transaction of the database is still open: wait for that.
    const behind = await eventually(async () => {
      const status = await second.runner('lagging').status();
      return status.lagEvents >= 3 && status;
    }, 10_000, 'the appended events to be visible');
    const elapsed = (Date.now() - appendedFrom) / 1000;
    expect(behind.active).toBe(false);
    expect(behind.lagEvents).toBe(3);
    expect(behind.lagSeconds).toBeGreaterThanOrEqual(0.4);
    expect(behind.lagSeconds).toBeLessThanOrEqual(elapsed + 0.1);

    await second.start();
    await second.runner('lagging').waitForPosition(f.lastAppended);
    const after = await second.runner('lagging').status();
    expect(after).toMatchObject({ name: 'lagging', active: true, lagEvents: 0, lagSeconds: 0, eventsApplied: 4n, storedVersion: 1 });
    expect(await countEntries(f.db, 'lagging')).toBe(4);
    await second.stop();
  });

  it('exports lag as OpenTelemetry gauges per projection', async () => {
    const reader = new OnDemandReader();
    const provider = new MeterProvider({ readers: [reader] });
    await f.append('gauged', ['G1', 'G2', 'G3', 'G4']);
    const host = f.host({ projections: [ledgerProjection({ name: 'gauged' })], instanceId: 'gauged-1', meter: provider.getMeter('test') });
    const gauge = async (name: string, scopeName = 'test'): Promise<number | undefined> => {
      const { resourceMetrics } = await reader.collect();
      const metric = resourceMetrics.scopeMetrics
        .filter((scope) => scope.scope.name === scopeName)
        .flatMap((scope) => scope.metrics)
        .find((m) => m.descriptor.name === name) as GaugeMetricData | undefined;
      return metric?.dataPoints.find((point) => point.attributes.projection === 'gauged')?.value;
    };
    await host.start();
    await host.runner('gauged').waitForPosition(f.lastAppended);
    expect(await gauge(PROJECTION_LAG_EVENTS)).toBe(0);
    expect(await gauge(PROJECTION_LAG_SECONDS)).toBe(0);
    await host.stop();

    // Stopped, with new events: the lag shows (a standby host would report the same).
    const appendedFrom = Date.now();
    await f.append('gauged', ['G5', 'G6']);
    const idle = f.host({ projections: [ledgerProjection({ name: 'gauged' })], instanceId: 'gauged-2' });
    const stopReporting = registerProjectionMetrics(() => idle.status(), provider.getMeter('idle'));
    await eventually(async () => ((await gauge(PROJECTION_LAG_EVENTS, 'idle')) ?? 0) >= 2, 10_000, 'lag to show');
    await sleep(300);
    const lagEvents = await gauge(PROJECTION_LAG_EVENTS, 'idle');
    const lagSeconds = await gauge(PROJECTION_LAG_SECONDS, 'idle');
    const elapsed = (Date.now() - appendedFrom) / 1000;
    expect(lagEvents).toBe(2);
    expect(lagSeconds).toBeGreaterThanOrEqual(0.3);
    expect(lagSeconds).toBeLessThanOrEqual(elapsed + 0.1);
    stopReporting();
    await provider.shutdown();
  });
});
