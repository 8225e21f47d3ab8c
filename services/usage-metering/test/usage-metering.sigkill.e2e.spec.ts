/**
 * usage-metering under faults: the metering process (services/usage-metering/src/main.ts, a real child
 * process) is SIGKILLed twice while batches stream in, and restarted. Afterwards every distinct call is
 * recorded exactly once and Σ cost in the store is the exact Σ over the distinct calls.
 */
import type { ChildProcess } from 'node:child_process';
import { usageEventIdFor, UsageIngestBatchSchema, type UsageEventInput, type UsageIngestBatchInput } from '@steward/contracts';
import { PostgresEventStore } from '@steward/event-store';
import { connectNats, ensureUsageIngestStream, type NatsClients } from '@steward/messaging';
import { type RunningChild, type TestEnv, createTestEnv, startChild, waitFor } from '@steward/testing';
import { Pricer, sumCosts } from '@steward/usage-metering';
import { ingestBatch, ingestDrained, publishBatch, usageEvent } from './metering-test-kit';

const METERING = 'services/usage-metering/src/main.ts';
const SCHEMA = 'events';
const WS = 'ws-faults';

describe('usage-metering SIGKILLed mid-stream', () => {
  jest.setTimeout(240_000);
  let env: TestEnv;
  let nats: NatsClients;
  let store: PostgresEventStore;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    store = new PostgresEventStore({ pool: env.pool, schema: SCHEMA });
    await store.migrate();
    nats = await connectNats({ servers: env.natsUrl, name: 'usage-metering-sigkill' });
    await ensureUsageIngestStream(nats.jsm, { prefix: env.natsPrefix });
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await nats?.close();
    await store?.close();
    await env?.dispose();
  });

  function startMetering(): RunningChild {
    const child = startChild('usage-metering', METERING, {
      ...process.env,
      DATABASE_URL: env.databaseUrl,
      NATS_URL: env.natsUrl,
      NATS_PREFIX: env.natsPrefix,
      EVENT_STORE_SCHEMA: SCHEMA,
      METERING_MAX_BATCH: '2',
      METERING_APPEND_CHUNK: '400',
      LOG_LEVEL: 'info',
    });
    children.push(child.process);
    return child;
  }

  async function started(child: RunningChild): Promise<void> {
    await waitFor('usage-metering started', () => (child.output.includes('usage-metering started') ? true : undefined), { timeoutMs: 90_000 });
  }

  async function recordedCount(): Promise<number> {
    const { rows } = await env.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${SCHEMA}".events WHERE event_type = 'UsageRecorded'`);
    return rows[0]!.n;
  }

  it('records every distinct call exactly once, with the exact total cost', async () => {
    // 48 batches of 250 calls over three days; one call in ten is a resend of an earlier call.
    const earlier: UsageEventInput[] = [];
    const batches: UsageIngestBatchInput[] = [];
    for (let b = 0; b < 48; b++) {
      const events: UsageEventInput[] = [];
      for (let i = 0; i < 250; i++) {
        if (earlier.length > 0 && (b * 250 + i) % 10 === 3) {
          events.push(earlier[(b * 31 + i * 7) % earlier.length]!);
          continue;
        }
        const model = ['gpt-4o', 'o1', 'acme-llm-1', 'claude-3-5-sonnet-20240620'][i % 4]!;
        const event = usageEvent({
          time: new Date(Date.parse('2026-03-01T00:00:00Z') + (b * 250 + i) * 20_000).toISOString(),
          provider: model.startsWith('claude') ? 'anthropic' : model.startsWith('acme') ? 'acme' : 'openai',
          model,
          inputTokens: 100 + i,
          cacheReadInputTokens: i % 50,
          cacheCreationInputTokens: model.startsWith('claude') ? 7 : 0,
          outputTokens: 40 + (i % 13),
          reasoningOutputTokens: model === 'o1' ? i % 40 : 0,
        });
        events.push(event);
        earlier.push(event);
      }
      batches.push(ingestBatch(WS, events, { via: (['http', 'cloudevents', 'nats', 'otlp'] as const)[b % 4] }));
    }
    const distinct = new Map<string, UsageEventInput>();
    for (const batch of batches) for (const event of batch.events) distinct.set(usageEventIdFor(WS, event.source, event.id), event);
    const pricer = new Pricer();
    const parsed = [...distinct.values()].map((event) => UsageIngestBatchSchema.parse(ingestBatch(WS, [event])).events[0]!);
    const expectedCost = sumCosts(parsed.map((event) => pricer.priceFromCatalogue(event).cost));

    let metering = startMetering();
    await started(metering);
    for (const batch of batches.slice(0, 24)) await publishBatch(nats, env.natsPrefix, batch);

    // First kill: as soon as metering has recorded something.
    const atFirstKill = await waitFor('the first calls recorded', async () => {
      const n = await recordedCount();
      return n > 0 ? n : undefined;
    });
    metering.process.kill('SIGKILL');
    expect(await metering.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(atFirstKill).toBeLessThan(distinct.size);

    // While it is down, the rest arrives, and an agent retries three earlier batches under new batch ids.
    for (const batch of batches.slice(24)) await publishBatch(nats, env.natsPrefix, batch);
    for (const batch of batches.slice(0, 3)) await publishBatch(nats, env.natsPrefix, { ...batch, batchId: `${batch.batchId}-retry` });

    metering = startMetering();
    await started(metering);
    const beforeSecondKill = await recordedCount();
    await waitFor('more calls recorded after the restart', async () => ((await recordedCount()) > beforeSecondKill ? true : undefined));
    metering.process.kill('SIGKILL');
    expect(await metering.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await recordedCount()).toBeLessThan(distinct.size);

    metering = startMetering();
    await started(metering);
    await waitFor('the backlog metered', () => ingestDrained(nats, env.natsPrefix), { timeoutMs: 180_000 });
    metering.process.kill('SIGTERM');
    expect(await metering.exited).toEqual({ code: 0, signal: null });

    const { rows } = await env.pool.query<{ n: number; ids: number; usage_ids: number; cost: string }>(
      `SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS ids, count(DISTINCT data->>'usageId')::int AS usage_ids,
              coalesce(sum((data->>'cost')::numeric), 0)::text AS cost
         FROM "${SCHEMA}".events WHERE event_type = 'UsageRecorded'`,
    );
    expect(rows[0]).toEqual({ n: distinct.size, ids: distinct.size, usage_ids: distinct.size, cost: expect.any(String) });
    expect(sumCosts([rows[0]!.cost])).toBe(expectedCost);
    // Every day stream's revisions are contiguous: nothing claimed by a killed transaction stayed behind.
    const { rows: streams } = await env.pool.query<{ stream_id: string; n: number; top: number }>(
      `SELECT stream_id, count(*)::int AS n, max(stream_revision)::int AS top FROM "${SCHEMA}".events
        WHERE event_type = 'UsageRecorded' GROUP BY stream_id`,
    );
    expect(streams.length).toBeGreaterThanOrEqual(3);
    for (const stream of streams) expect(stream.top).toBe(stream.n - 1);
  });
});
