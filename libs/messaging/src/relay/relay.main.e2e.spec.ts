import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PostgresEventStore, formatPosition, type NewEvent } from '@steward/event-store';
import { type TestEnv, createTestEnv, waitFor } from '@steward/testing';
import { connectNats, type NatsClients } from '../nats-connection';
import { natsNames, type NatsNames } from '../nats-names';
import { RelayCheckpointRepository } from './relay-checkpoint.repository';

// Child processes compile TypeScript on start: allow them time on a busy machine.
jest.setTimeout(90_000);

const ROOT = join(__dirname, '..', '..', '..', '..');
const ENTRY = join(ROOT, 'libs', 'messaging', 'src', 'relay', 'relay.main.ts');

interface RelayProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe('relay process (relay.main.ts)', () => {
  let env: TestEnv;
  let store: PostgresEventStore;
  let nats: NatsClients;
  let names: NatsNames;
  const children: ChildProcess[] = [];

  function startRelay(): RelayProcess {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', ENTRY], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: env.databaseUrl,
        NATS_URL: env.natsUrl,
        EVENT_STORE_SCHEMA: 'events',
        NATS_PREFIX: env.natsPrefix,
        RELAY_POLL_INTERVAL_MS: '100',
        LOG_LEVEL: 'info',
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
    return { child, output: () => output, exited };
  }

  async function started(relay: RelayProcess): Promise<void> {
    await waitFor('relay started', () => (relay.output().includes('"msg":"relay started"') ? true : undefined));
  }

  async function onNats(): Promise<{ messages: number; lastSeq: number }> {
    try {
      const info = await nats.jsm.streams.info(names.eventsStream);
      return { messages: info.state.messages, lastSeq: info.state.last_seq };
    } catch {
      return { messages: 0, lastSeq: 0 };
    }
  }

  async function appendBatches(batches: number, perBatch: number): Promise<void> {
    for (let b = 0; b < batches; b++) {
      const events: NewEvent[] = Array.from({ length: perBatch }, (_, i) => ({
        eventId: randomUUID(),
        type: 'CounterIncremented',
        version: 1,
        data: { by: i },
        metadata: { correlationId: randomUUID(), actor: { type: 'system', id: 'relay-e2e' }, occurredAt: new Date().toISOString() },
      }));
      await store.append(`counter-${randomUUID()}`, events, { expectedRevision: 'no_stream' });
    }
  }

  beforeAll(async () => {
    env = await createTestEnv();
    names = natsNames(env.natsPrefix);
    store = new PostgresEventStore({ pool: env.pool, schema: 'events' });
    await store.migrate();
    nats = await connectNats({ servers: env.natsUrl, name: 'relay-e2e-test' });
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await store?.close();
    await nats?.close();
    await env?.dispose();
  });

  it('killed with SIGKILL mid-stream and restarted, puts every event on NATS exactly once; stops cleanly on SIGTERM', async () => {
    const first = startRelay();
    await started(first);
    const appending = appendBatches(40, 25);
    // Kill it while events are still flowing.
    await waitFor('some events on NATS', async () => ((await onNats()).messages >= 100 ? true : undefined));
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    await appending;
    const total = 40 * 25;
    expect((await onNats()).messages).toBeLessThan(total);

    const second = startRelay();
    await started(second);
    await waitFor('every event on NATS', async () => ((await onNats()).messages === total ? true : undefined));
    // Nothing twice: sequence numbers are spent only on stored messages.
    expect(await onNats()).toEqual({ messages: total, lastSeq: total });

    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(second.output()).toContain('"msg":"relay stopped"');
    const checkpoint = await new RelayCheckpointRepository({ pool: env.pool }).load('default');
    expect(formatPosition(checkpoint)).toBe(formatPosition(await store.headPosition()));
  });
});
