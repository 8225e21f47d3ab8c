import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { PostgresEventStore, formatPosition, type NewEvent } from '@steward/event-store';
import { type RunningChild, type TestEnv, createTestEnv, startChild, waitFor } from '@steward/testing';
import { connectNats, type NatsClients } from '../nats-connection';
import { natsNames, type NatsNames } from '../nats-names';
import { RelayCheckpointRepository } from './relay-checkpoint.repository';

// Child processes compile TypeScript on start: allow them time on a busy machine.
jest.setTimeout(90_000);

const ENTRY = 'libs/messaging/src/relay/relay.main.ts';

describe('relay process (relay.main.ts)', () => {
  let env: TestEnv;
  let store: PostgresEventStore;
  let nats: NatsClients;
  let names: NatsNames;
  const children: ChildProcess[] = [];

  function startRelay(): RunningChild {
    const relay = startChild('relay', ENTRY, {
      ...process.env,
      DATABASE_URL: env.databaseUrl,
      NATS_URL: env.natsUrl,
      EVENT_STORE_SCHEMA: 'events',
      NATS_PREFIX: env.natsPrefix,
      RELAY_POLL_INTERVAL_MS: '100',
      LOG_LEVEL: 'info',
    });
    children.push(relay.process);
    return relay;
  }

  async function started(relay: RunningChild): Promise<void> {
    await waitFor('relay started', () => (relay.output.includes('"msg":"relay started"') ? true : undefined));
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
    first.process.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    await appending;
    const total = 40 * 25;
    expect((await onNats()).messages).toBeLessThan(total);

    const second = startRelay();
    await started(second);
    await waitFor('every event on NATS', async () => ((await onNats()).messages === total ? true : undefined));
    // Nothing twice: sequence numbers are spent only on stored messages.
    expect(await onNats()).toEqual({ messages: total, lastSeq: total });

    second.process.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(second.output).toContain('"msg":"relay stopped"');
    const checkpoint = await new RelayCheckpointRepository({ pool: env.pool }).load('default');
    expect(formatPosition(checkpoint)).toBe(formatPosition(await store.headPosition()));
  });
});
