/**
 * The proving chain: command → decide → append → relay → NATS → projection →
 * read model, end to end through real processes, and the two fault tests that
 * SIGKILL a real child process: the projector mid-batch and the relay
 * mid-stream.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { CommandEnvelope } from '@steward/contracts';
import {
  PostgresEventStore,
  START,
  comparePositions,
  formatPosition,
  type GlobalPosition,
  type NewEvent,
  type RecordedEvent,
} from '@steward/event-store';
import {
  CommandClient,
  IdempotentInbox,
  commandTransportOptions,
  connectNats,
  ensureStreams,
  natsNames,
  runConsumer,
  type DeliveredEvent,
  type DurableConsumer,
  type NatsClients,
  type NatsNames,
} from '@steward/messaging';
import { ProjectionHost, projectionSchema } from '@steward/projections';
import { type TestEnv, createTestEnv, waitFor } from '@steward/testing';
import { counterHandlerModule } from './counter.handler';
import { counterProjection } from './counter.projection';

const ROOT = join(__dirname, '..', '..');
const RELAY = join(ROOT, 'libs/messaging/src/relay/relay.main.ts');
const PROJECTOR = join(ROOT, 'tests/proving-chain/projector.child.ts');
const SCHEMA = 'events';
const RM = projectionSchema(counterProjection.name);
const COUNTER_TYPES = ['CounterOpened', 'CounterIncremented'];

interface Child {
  readonly process: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function counterEvent(type: string, data: object): NewEvent {
  return {
    eventId: randomUUID(),
    type,
    version: 1,
    data,
    metadata: { correlationId: randomUUID(), actor: { type: 'system', id: 'proving-chain' }, occurredAt: new Date().toISOString() },
  };
}

describe('proving chain', () => {
  let env: TestEnv;
  let store: PostgresEventStore;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let db: Kysely<any>;
  let nats: NatsClients;
  let names: NatsNames;
  let app: INestMicroservice;
  let client: CommandClient;
  let busConsumer: DurableConsumer;
  const children: ChildProcess[] = [];

  function spawnChild(entry: string, extraEnv: Record<string, string> = {}): Child {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', entry], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: env.databaseUrl,
        NATS_URL: env.natsUrl,
        NATS_PREFIX: env.natsPrefix,
        EVENT_STORE_SCHEMA: SCHEMA,
        RELAY_POLL_INTERVAL_MS: '100',
        LOG_LEVEL: 'info',
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    return { process: child, output: () => output, exited };
  }

  const startRelay = async (): Promise<Child> => {
    const relay = spawnChild(RELAY);
    await waitFor('relay started', () => (relay.output().includes('"msg":"relay started"') ? true : undefined));
    return relay;
  };

  const startProjector = async (extraEnv: Record<string, string> = {}): Promise<Child> => {
    const projector = spawnChild(PROJECTOR, extraEnv);
    await waitFor('projector started', () => (projector.output().includes('projector started') ? true : undefined));
    return projector;
  };

  async function stop(child: Child): Promise<void> {
    child.process.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
  }

  function command(type: string, payload: object, commandId = randomUUID()): CommandEnvelope {
    return { commandId, type, actor: { type: 'user', id: 'user-1' }, issuedAt: new Date().toISOString(), payload };
  }

  const send = (envelope: CommandEnvelope) =>
    client.send<{ revision: string }>(names.commandSubject('sample', 'Counter'), envelope, { timeoutMs: 10_000 });

  async function appendCounters(prefix: string, counters: number, increments: number, perAppend: number): Promise<number> {
    let appended = 0;
    for (let c = 0; c < counters; c++) {
      const counterId = `${prefix}-${c}`;
      const events: NewEvent[] = [counterEvent('CounterOpened', { counterId, name: counterId })];
      for (let i = 0; i < increments; i++) events.push(counterEvent('CounterIncremented', { counterId, by: (i % 9) + 1 }));
      for (let offset = 0; offset < events.length; offset += perAppend) {
        const chunk = events.slice(offset, offset + perAppend);
        await store.append(`sample-counter-${counterId}`, chunk, {
          expectedRevision: offset === 0 ? 'no_stream' : BigInt(offset - 1),
        });
        appended += chunk.length;
      }
    }
    return appended;
  }

  /** Every counter event in the store, in global order, up to `until` (inclusive) when given. */
  async function storedCounterEvents(until?: GlobalPosition): Promise<RecordedEvent[]> {
    const all: RecordedEvent[] = [];
    let from = START;
    for (;;) {
      const page = await store.readAll({ from, maxCount: 1000, filter: { eventTypes: COUNTER_TYPES } });
      for (const event of page.events) {
        if (until && comparePositions(event.position, until) > 0) return all;
        all.push(event);
      }
      from = page.checkpoint;
      if (page.isEnd) return all;
    }
  }

  function fold(events: readonly RecordedEvent[]): Record<string, number> {
    const totals: Record<string, number> = {};
    for (const event of events) {
      const data = event.data as { counterId: string; by?: number };
      totals[data.counterId] = (totals[data.counterId] ?? 0) + (data.by ?? 0);
    }
    return totals;
  }

  async function readModelTotals(table: string, schema: string): Promise<Record<string, number>> {
    const rows = await db.withSchema(schema).selectFrom(table).select(['counter_id', 'total']).execute();
    return Object.fromEntries(rows.map((row: { counter_id: string; total: string }) => [row.counter_id, Number(row.total)]));
  }

  async function projectorCheckpoint(): Promise<GlobalPosition> {
    const row = await db
      .withSchema('steward_projections')
      .selectFrom('checkpoints')
      .select(['commit_position', 'prepare_position'])
      .where('name', '=', counterProjection.name)
      .executeTakeFirst();
    return row ? { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) } : START;
  }

  async function natsState(): Promise<{ messages: number; lastSeq: number }> {
    const info = await nats.jsm.streams.info(names.eventsStream);
    return { messages: info.state.messages, lastSeq: info.state.last_seq };
  }

  async function snapshotReadModel(): Promise<unknown> {
    const counters = await db.withSchema(RM).selectFrom('counters').selectAll().orderBy('counter_id').execute();
    const applied = await db.withSchema(RM).selectFrom('counter_events').selectAll().orderBy('event_id').execute();
    return { counters, applied };
  }

  beforeAll(async () => {
    env = await createTestEnv();
    names = natsNames(env.natsPrefix);
    store = new PostgresEventStore({ pool: env.pool, schema: SCHEMA, connectionString: env.databaseUrl });
    await store.migrate();
    db = new Kysely({ dialect: new PostgresDialect({ pool: env.pool }) });
    nats = await connectNats({ servers: env.natsUrl, name: 'proving-chain' });
    await ensureStreams(nats.jsm, { prefix: env.natsPrefix });

    // The command side: a Nest microservice answering commands over NATS.
    app = await NestFactory.createMicroservice(counterHandlerModule(store, names.commandSubject('sample', 'Counter')), {
      ...commandTransportOptions({ servers: env.natsUrl, queue: 'sample-service', gracePeriodMs: 100 }),
      logger: false,
    });
    await app.listen();
    client = new CommandClient({ servers: env.natsUrl, name: 'proving-chain-client' });

    // A bus-side read model: a durable NATS consumer applying each event once.
    await sql`CREATE TABLE bus_counters (counter_id text PRIMARY KEY, total bigint NOT NULL)`.execute(db);
    const inbox = new IdempotentInbox({ db });
    await inbox.migrate();
    busConsumer = await runConsumer({
      js: nats.js,
      jsm: nats.jsm,
      stream: names.eventsStream,
      durable: 'proving-bus',
      filterSubject: names.contextSubjects('sample'),
      prefix: env.natsPrefix,
      batch: 100,
      handler: async (_msg, event: DeliveredEvent) => {
        await inbox.applyOnce('proving-bus', event.eventId, async (trx) => {
          const data = event.data as { counterId: string; by?: number };
          await sql`INSERT INTO bus_counters VALUES (${data.counterId}, ${data.by ?? 0})
                    ON CONFLICT (counter_id) DO UPDATE SET total = bus_counters.total + excluded.total`.execute(trx);
        });
      },
    });
  });

  // A failed test must not leave its processes running into the next one.
  afterEach(async () => {
    const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
    await Promise.all(
      running.map(
        (child) =>
          new Promise<void>((resolve) => {
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await busConsumer?.stop();
    await client?.close();
    await app?.close();
    await nats?.close();
    await store?.close();
    await env?.dispose();
  });

  it('carries commands through decide, append, relay, NATS and projections into both read models', async () => {
    await send(command('OpenCounter', { counterId: 'chain', name: 'chain' }));
    const increment = command('IncrementCounter', { counterId: 'chain', by: 5 });
    await send(increment);
    // The same command again (a client retry): the event ids repeat, nothing new is written.
    await send(increment);
    for (let by = 1; by <= 10; by++) await send(command('IncrementCounter', { counterId: 'chain', by }));
    const rejected = await send(command('IncrementCounter', { counterId: 'missing', by: 1 })).catch((error: unknown) => error);
    expect(rejected).toMatchObject({ details: { error: { code: 'COUNTER_NOT_FOUND' } } });

    const stream = await store.readStream('sample-counter-chain');
    expect(stream.map((event) => event.streamRevision)).toEqual([...Array(12).keys()].map(BigInt));

    const relay = await startRelay();
    const projector = await startProjector();
    await waitFor('the projection to show 60', async () => ((await readModelTotals('counters', RM)).chain === 60 ? true : undefined));
    await waitFor('the bus read model to show 60', async () =>
      (await readModelTotals('bus_counters', 'public')).chain === 60 ? true : undefined,
    );
    expect(await natsState()).toEqual({ messages: 12, lastSeq: 12 });
    await stop(projector);
    await stop(relay);
  });

  it('projector killed mid-batch: the checkpoint is the last fully applied batch, and after restart the read model equals a rebuild from zero', async () => {
    const appended = await appendCounters('kp', 10, 99, 50);
    expect(appended).toBe(1000);

    const slow = await startProjector({ PROVING_BATCH: '100', PROVING_SLOW_MS: '400' });
    // Three batches committed, the fourth asleep inside its transaction: kill it there.
    await waitFor('a fourth batch in flight', () => ((slow.output().match(/batch-start/g) ?? []).length >= 4 ? true : undefined));
    slow.process.kill('SIGKILL');
    expect((await slow.exited).signal).toBe('SIGKILL');

    const checkpoint = await projectorCheckpoint();
    const upToCheckpoint = await storedCounterEvents(checkpoint);
    const all = await storedCounterEvents();
    const applied = await db.withSchema(RM).selectFrom('counter_events').select('event_id').execute();
    // Exactly the events up to the checkpoint are applied: none of the killed batch, none missing.
    expect(new Set(applied.map((row: { event_id: string }) => row.event_id))).toEqual(
      new Set(upToCheckpoint.map((event) => event.eventId)),
    );
    expect(formatPosition(upToCheckpoint[upToCheckpoint.length - 1]!.position)).toBe(formatPosition(checkpoint));
    expect(upToCheckpoint.length).toBeLessThan(all.length);

    const projector = await startProjector();
    await waitFor('the projector to catch up', async () =>
      comparePositions(await projectorCheckpoint(), all[all.length - 1]!.position) === 0 ? true : undefined,
    );
    await stop(projector);
    const live = await snapshotReadModel();
    expect(await readModelTotals('counters', RM)).toEqual(fold(all));

    const host = new ProjectionHost({ pool: env.pool, store, projections: [counterProjection], meter: false });
    const rebuilt = await host.rebuild(counterProjection.name);
    expect(rebuilt.eventsApplied).toBe(all.length);
    expect(await snapshotReadModel()).toEqual(live);
  });

  it('relay killed mid-stream: after restart every event is on NATS once and the consumer applied each once', async () => {
    const relay = await startRelay();
    const before = (await natsState()).messages;
    const appending = appendCounters('kr', 40, 49, 25);
    await waitFor('the relay to be mid-stream', async () => ((await natsState()).messages >= before + 200 ? true : undefined));
    relay.process.kill('SIGKILL');
    expect((await relay.exited).signal).toBe('SIGKILL');
    await appending;

    const total = (await storedCounterEvents()).length;
    expect((await natsState()).messages).toBeLessThan(total);

    const restarted = await startRelay();
    // the restarted relay compiles on start and re-publishes the backlog: on two loaded cores that is more than the default wait
    await waitFor('every event on NATS', async () => ((await natsState()).messages === total ? true : undefined), { timeoutMs: 120_000 });
    // Sequence numbers are spent only on stored messages: nothing was stored twice.
    expect(await natsState()).toEqual({ messages: total, lastSeq: total });
    await waitFor(
      'the consumer to apply every event',
      async () => {
        const row = await sql<{ n: string }>`SELECT count(*) AS n FROM inbox WHERE consumer = 'proving-bus'`.execute(db);
        return Number(row.rows[0]!.n) === total ? true : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(await readModelTotals('bus_counters', 'public')).toEqual(fold(await storedCounterEvents()));
    await stop(restarted);
  }, 300_000);
});
