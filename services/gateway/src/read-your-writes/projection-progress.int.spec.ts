import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import { PostgresEventStore, comparePositions, type GlobalPosition, type NewEvent } from '@steward/event-store';
import { CheckpointRepository, ProjectionHost, defineProjection } from '@steward/projections';
import { createTestEnv, waitFor, type TestEnv } from '@steward/testing';
import { GatewayError, GatewayErrorCode } from '../gateway.error';
import { toProblemResponse } from '../problem';
import { PROGRESS_APPLICATION_NAME, ProgressTimeoutError, ProjectionProgress } from './projection-progress';
import { ReadYourWrites } from './read-your-writes';

jest.setTimeout(60_000);

function event(type: string): NewEvent {
  return { eventId: randomUUID(), type, version: 1, data: {}, metadata: { correlationId: randomUUID(), actor: { type: 'system', id: 'test' }, occurredAt: new Date().toISOString() } };
}

describe('ProjectionProgress (real PostgreSQL, a real projection runner)', () => {
  let env: TestEnv;
  let store: PostgresEventStore;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let db: Kysely<any>;
  let host: ProjectionHost;
  let progress: ProjectionProgress;
  /** While set, a batch holding a `Slow` event waits for it: the projection is running but behind. */
  let gate: Promise<void> | undefined;
  let openGate: () => void = () => undefined;

  const ledger = defineProjection({
    name: 'ryw_ledger',
    version: 1,
    eventTypes: ['Fast', 'Slow'],
    streamPrefixes: ['ledger-'],
    async migrate(schema) {
      await schema.schema.createTable('entries').addColumn('event_id', 'uuid', (c) => c.primaryKey()).execute();
    },
    async handle(trx, events) {
      await trx.insertInto('entries').values(events.map((e) => ({ event_id: e.eventId }))).execute();
      if (gate && events.some((e) => e.type === 'Slow')) await gate;
    },
  });

  // a reactor reading the same events that never gets through a batch: writes do not wait for it
  const reactor = defineProjection({
    name: 'ryw_reactor',
    version: 1,
    eventTypes: ['Fast', 'Slow'],
    streamPrefixes: ['ledger-'],
    awaitedByWrites: false,
    async migrate() {},
    async handle() {
      // a transient failure (SQLSTATE class 57, as a statement timeout): retried, never quarantined, so it stays behind
      throw Object.assign(new Error('this reactor is always behind'), { code: '57014' });
    },
  });

  const append = async (type: string, prefix = 'ledger-'): Promise<{ position: GlobalPosition; events: Array<{ type: string; streamId: string }> }> => {
    const streamId = `${prefix}${randomUUID()}`;
    const result = await store.append(streamId, [event(type)], { expectedRevision: 'no_stream' });
    return { position: result.position, events: [{ type, streamId }] };
  };

  beforeAll(async () => {
    env = await createTestEnv();
    store = new PostgresEventStore({ pool: env.pool, schema: 'steward_events' });
    await store.migrate();
    db = new Kysely({ dialect: new PostgresDialect({ pool: env.pool }) });
    await new CheckpointRepository(db).migrate();
    // a leftover row of a projection nobody runs any more, reading every event, far behind
    await db.withSchema('steward_projections').insertInto('checkpoints').values({ name: 'removed_long_ago', version: 1, epoch: '3', events_applied: '0', updated_at: new Date(Date.now() - 86_400_000) }).execute();
    host = new ProjectionHost({ pool: env.pool, store, projections: [ledger, reactor], meter: false, logger: { info: () => undefined, warn: () => undefined, error: () => undefined }, lockPollIntervalMs: 100, retryDelayMs: 50, instanceId: 'ryw-1' });
    await host.start();
    await waitFor('the ledger projection to lead', async () => ((await host.runner('ryw_ledger').status()).active ? true : undefined));
    await waitFor('the reactor to lead', async () => ((await host.runner('ryw_reactor').status()).active ? true : undefined));
    progress = new ProjectionProgress({ connectionString: env.databaseUrl, db, retryDelayMs: 50 });
    await progress.start();
  });

  afterAll(async () => {
    await progress?.close();
    await host?.stop();
    await store?.close();
    await env?.dispose();
  });

  it('resolves once the projection reading the events has passed their position (a stale leaderless row never blocks)', async () => {
    const written = await append('Fast');
    const started = Date.now();
    await progress.waitFor(written.position, written.events, 10_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(comparePositions(progress.checkpointOf('ryw_ledger')!, written.position)).toBeGreaterThanOrEqual(0);
    // the database agrees: the read model holds the event when the wait ends
    const stored = await new CheckpointRepository(db).read('ryw_ledger');
    expect(comparePositions(stored!.position, written.position)).toBeGreaterThanOrEqual(0);
    // the reactor that reads the same events is far behind, and running: not waited for
    expect(comparePositions((await new CheckpointRepository(db).read('ryw_reactor'))!.position, written.position)).toBeLessThan(0);
  });

  it('times out while a running projection is behind, and ReadYourWrites turns that into a 503 with Retry-After', async () => {
    gate = new Promise<void>((resolve) => (openGate = resolve));
    try {
      const slow = await append('Slow');
      await expect(progress.waitFor(slow.position, slow.events, 300)).rejects.toBeInstanceOf(ProgressTimeoutError);
      const settling = new ReadYourWrites({ progress, timeoutMs: 300 }).settle({ position: `${slow.position.commit}/${slow.position.prepare}`, events: slow.events.map((e) => ({ ...e, revision: '0' })) });
      const refused = await settling.then(() => undefined, (error: unknown) => error);
      expect(refused).toBeInstanceOf(GatewayError);
      expect(refused).toMatchObject({ code: GatewayErrorCode.Unavailable, retryAfterSeconds: 1 });
      // the client is told the write is stored and how to resend it, not which read model lags
      expect(toProblemResponse(refused, '/v1/x').body.detail).toMatch(/^The change is stored, .*same Idempotency-Key/);
      expect(toProblemResponse(refused, '/v1/x').body.detail).not.toContain('ryw_');

      // while it is stuck: an event it does not read (another type, another stream) does not wait for it
      const unrelated = await append('Unrelated', 'elsewhere-');
      await progress.waitFor(unrelated.position, unrelated.events, 2_000);
      const otherStream = await append('Fast', 'elsewhere-');
      await progress.waitFor(otherStream.position, otherStream.events, 2_000);
      // a wait under way is woken by the notice once the batch commits
      const waiting = progress.waitFor(slow.position, slow.events, 20_000);
      openGate();
      await waiting;
    } finally {
      gate = undefined;
      openGate();
    }
  });

  it('reloads the checkpoints after its LISTEN connection is cut: notices missed meanwhile do not strand a wait', async () => {
    const before = await append('Fast');
    await progress.waitFor(before.position, before.events, 10_000);
    gate = new Promise<void>((resolve) => (openGate = resolve));
    const slow = await append('Slow');
    await env.pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()', [PROGRESS_APPLICATION_NAME]);
    await waitFor('the progress listener to notice the cut', async () => (progress.listening ? undefined : true));
    // the batch commits while nobody listens: its notice is lost
    gate = undefined;
    openGate();
    const runnerAt = await host.runner('ryw_ledger').waitForPosition(slow.position, 10_000);
    expect(comparePositions(runnerAt.position, slow.position)).toBeGreaterThanOrEqual(0);
    // reconnected, the view is reloaded from the checkpoints
    await progress.waitFor(slow.position, slow.events, 10_000);
    expect(progress.listening).toBe(true);
  });

  it('a projection that stops running blocks writes (503), also for a gateway started meanwhile, until it has had no leader for the removal grace', async () => {
    const quick = new ProjectionProgress({ connectionString: env.databaseUrl, db, removalGraceMs: 1_000 });
    await quick.start();
    try {
      await host.stop();
      const written = await append('Fast');
      // just stopped: perhaps restarting, so the write cannot be promised
      await expect(quick.waitFor(written.position, written.events, 300)).rejects.toBeInstanceOf(ProgressTimeoutError);
      await expect(progress.waitFor(written.position, written.events, 300)).rejects.toBeInstanceOf(ProgressTimeoutError);
      // a gateway that starts while it is down still counts it: its row moved within the grace (down, not removed)
      const late = new ProjectionProgress({ connectionString: env.databaseUrl, db });
      await late.start();
      try {
        await expect(late.waitFor(written.position, written.events, 300)).rejects.toBeInstanceOf(ProgressTimeoutError);
      } finally {
        await late.close();
      }
      // gone for longer than the grace: no longer counted
      await waitFor('the grace to pass', async () => quick.waitFor(written.position, written.events, 300).then(() => true, () => undefined), { timeoutMs: 20_000, intervalMs: 200 });
      expect(comparePositions(quick.checkpointOf('ryw_ledger')!, written.position)).toBeLessThan(0);
    } finally {
      await quick.close();
    }
  });
});
