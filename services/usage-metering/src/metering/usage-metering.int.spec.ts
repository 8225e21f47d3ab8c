import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { UsageRecorded, usageEventIdFor, type UnitPrices, type UsageIngestPath } from '@steward/contracts';
import { PostgresEventStore } from '@steward/event-store';
import {
  DEAD_LETTERS_GAUGE,
  DeadLetterHeaders,
  connectNats,
  ensureStreams,
  listDeadLetters,
  natsNames,
  registerDeadLetterMetrics,
  type NatsClients,
} from '@steward/messaging';
import type { UsageIngestBatchInput } from '@steward/contracts';
import { ProjectionHost } from '@steward/projections';
import { type TestEnv, createTestEnv, waitFor } from '@steward/testing';
import { WorkspaceOrganizations, teamProjection } from '@steward/team-rbac';
import { Pricer, sumCosts, type WorkspacePriceLookup } from '@steward/usage-metering';
import { ingestBatch, ingestDrained, publishBatch, recordedRows, usageEvent } from '../../test/metering-test-kit';
import { MeteringMetrics } from './metering.metrics';
import { USAGE_METERING_DURABLE, UsageMeteringWorker } from './usage-metering.worker';

class TestMetricReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

const SCHEMA = 'events';

/** A workspace's own price for one model (the model settings part prices the rest in its own tests). */
const OWN_PRICES: UnitPrices = { input: '0.000000123', output: '0.000000456', reasoningOutput: '0.000001' };
const workspacePrices: WorkspacePriceLookup = {
  find: async (workspaceId, _provider, model, at) =>
    model === 'house-model' && at >= new Date('2026-01-01T00:00:00Z') ? { unitPrices: OWN_PRICES, ref: '2026-01-01T00:00:00.000Z' } : undefined,
};

describe('usage-metering over NATS and PostgreSQL', () => {
  jest.setTimeout(90_000);
  let env: TestEnv;
  let store: PostgresEventStore;
  let nats: NatsClients;
  let worker: UsageMeteringWorker;
  let reader: TestMetricReader;
  let meterProvider: MeterProvider;
  let host: ProjectionHost;

  beforeAll(async () => {
    env = await createTestEnv();
    store = new PostgresEventStore({ pool: env.pool, schema: SCHEMA, connectionString: env.databaseUrl });
    await store.migrate();
    nats = await connectNats({ servers: env.natsUrl, name: 'usage-metering-int' });
    reader = new TestMetricReader();
    meterProvider = new MeterProvider({ readers: [reader] });
    worker = new UsageMeteringWorker({
      nats,
      prefix: env.natsPrefix,
      store,
      pricer: new Pricer(workspacePrices),
      organizations: new WorkspaceOrganizations({ db: new Kysely<unknown>({ dialect: new PostgresDialect({ pool: env.pool }) }) }),
      metrics: new MeteringMetrics(meterProvider.getMeter('test')),
      concurrency: 2,
      maxBatch: 8,
      unknownWorkspaceAttempts: 3,
      backoffMs: [100],
      unknownWorkspaceRetryMs: 100,
      logger: { warn: () => undefined, error: (object, message) => console.error(message, object) },
    });
    await worker.start();
    host = new ProjectionHost({ pool: env.pool, store, projections: [teamProjection], lockPollIntervalMs: 100, meter: false });
    await host.start();
  });

  afterAll(async () => {
    await host?.stop();
    await worker?.stop();
    await nats?.close();
    await store?.close();
    await meterProvider?.shutdown();
    await env?.dispose();
  });

  /**
   * A counter once the ingest backlog is drained: the worker counts a batch before acking it, so a
   * count read while a message is still in flight (even one whose rows are already visible) can miss it.
   */
  async function counter(name: string): Promise<number> {
    await drained();
    const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics };
    const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
    return (metric?.dataPoints ?? []).reduce((n, point) => n + Number(point.value), 0);
  }

  const drained = () => waitFor('the ingest backlog to drain', () => ingestDrained(nats, env.natsPrefix));

  it('records a batch as UsageRecorded events with exact costs, one stream per workspace and UTC day', async () => {
    const ws = `ws-${randomUUID().slice(0, 8)}`;
    const cached = usageEvent({ model: 'gpt-4o', inputTokens: 1000, cacheReadInputTokens: 400, outputTokens: 500 });
    const cacheWrite = usageEvent({
      provider: 'Anthropic',
      model: 'claude-3-5-sonnet-20240620',
      inputTokens: 10_000,
      cacheReadInputTokens: 6000,
      cacheCreationInputTokens: 2000,
      outputTokens: 1200,
      time: '2026-03-01T23:59:59.999+00:00',
    });
    const reasoning = usageEvent({ model: 'o1', inputTokens: 123, cacheReadInputTokens: 0, outputTokens: 4567, reasoningOutputTokens: 4000, time: '2026-03-02T00:30:00+01:00' });
    const own = usageEvent({ provider: 'house', model: 'house-model', inputTokens: 1_000_001, cacheReadInputTokens: 0, outputTokens: 333, reasoningOutputTokens: 111, jobId: 'job-7', status: 'error', errorType: 'timeout' });
    const batch = ingestBatch(ws, [cached, cacheWrite, reasoning, own], { organizationId: 'org-a', actor: 'api_key:key-1', via: 'http' });
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await publishBatch(nats, env.natsPrefix, batch, { traceparent });

    const rows = await waitFor('four recorded calls', async () => {
      const found = await recordedRows(env.pool, SCHEMA, ws);
      return found.length === 4 ? found : undefined;
    });
    const byUsage = new Map(rows.map((row) => [row.data.usageId, row]));
    // 600 × 2.5e-6 + 400 × 1.25e-6 + 500 × 1e-5
    expect(byUsage.get(cached.id)!.data).toMatchObject({ cost: '0.007', pricing: { status: 'priced', source: 'catalogue' } });
    // 2,000 × 3e-6 + 6,000 × 3e-7 + 2,000 × 3.75e-6 + 1,200 × 1.5e-5; provider lower-cased
    expect(byUsage.get(cacheWrite.id)!.data).toMatchObject({ cost: '0.0333', provider: 'anthropic' });
    // 123 × 1.5e-5 + 567 × 6e-5 + 4,000 × 6e-5
    expect(byUsage.get(reasoning.id)!.data.cost).toBe('0.275865');
    // The workspace's own price: 1,000,001 × 1.23e-7 + 222 × 4.56e-7 + 111 × 1e-6
    expect(byUsage.get(own.id)!.data).toMatchObject({
      cost: '0.123212355',
      pricing: { status: 'priced', source: 'workspace', ref: '2026-01-01T00:00:00.000Z', unitPrices: OWN_PRICES },
      jobId: 'job-7',
      status: 'error',
      errorType: 'timeout',
    });
    for (const row of rows) {
      const data = UsageRecorded.schema.parse(row.data); // what the projections read is the contract
      expect(row.event_id).toBe(usageEventIdFor(ws, data.source, data.usageId));
      expect(row.stream_id).toBe(`usage-${ws}-${data.time.slice(0, 10).replaceAll('-', '')}`);
      expect(data).toMatchObject({ organizationId: 'org-a', workspaceId: ws, via: 'http', receivedAt: '2026-03-01T10:00:01.000Z' });
      expect(row.metadata).toMatchObject({
        correlationId: batch.batchId,
        actor: { type: 'api_key', id: 'key-1' },
        organizationId: 'org-a',
        workspaceId: ws,
        traceContext: { traceparent },
      });
    }
    expect(byUsage.get(cacheWrite.id)!.stream_id).toBe(`usage-${ws}-20260301`);
    expect(byUsage.get(reasoning.id)!.data.time).toBe('2026-03-01T23:30:00.000Z');
    expect(sumCosts(rows.map((row) => row.data.cost))).toBe('0.439377355');
  });

  it('counts the same call once, sent five times through every path and again a day later', async () => {
    const ws = `ws-${randomUUID().slice(0, 8)}`;
    const call = usageEvent({ id: 'call-42', source: 'checkout-agent' });
    const duplicatesBefore = await counter('steward.usage.events_duplicate');
    const recordedBefore = await counter('steward.usage.events_recorded');
    const paths: UsageIngestPath[] = ['http', 'cloudevents', 'nats', 'otlp', 'http'];
    const others = paths.map(() => usageEvent());
    await Promise.all(
      paths.map((via, i) => publishBatch(nats, env.natsPrefix, ingestBatch(ws, i === 2 ? [call, others[i]!, call] : [others[i]!, call], { via }))),
    );
    await waitFor('the first sends metered', async () => ((await recordedRows(env.pool, SCHEMA, ws)).length === 6 ? true : undefined));
    await drained();
    // A day later: the agent's retry queue sends it again, with another batch and receipt time.
    await publishBatch(nats, env.natsPrefix, ingestBatch(ws, [{ ...call, agent: 'renamed-bot' }], { receivedAt: '2026-03-02T10:00:00.000Z', via: 'nats' }));
    await drained();
    const rows = await recordedRows(env.pool, SCHEMA, ws);
    expect(rows).toHaveLength(6);
    const calls = rows.filter((row) => row.data.usageId === 'call-42');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.data).toMatchObject({ agent: 'support-bot', receivedAt: '2026-03-01T10:00:01.000Z' });
    expect(await counter('steward.usage.events_recorded')).toBe(recordedBefore + 6);
    expect(await counter('steward.usage.events_duplicate')).toBe(duplicatesBefore + 6); // 7 copies of call-42 past the first
  });

  it('records a call without any price as unpriced, at cost 0', async () => {
    const ws = `ws-${randomUUID().slice(0, 8)}`;
    const unpricedBefore = await counter('steward.usage.events_unpriced');
    const unknown = usageEvent({ provider: 'acme', model: 'acme-llm-1' });
    await publishBatch(nats, env.natsPrefix, ingestBatch(ws, [unknown, usageEvent()]));
    const rows = await waitFor('two recorded calls', async () => {
      const found = await recordedRows(env.pool, SCHEMA, ws);
      return found.length === 2 ? found : undefined;
    });
    expect(rows.find((row) => row.data.usageId === unknown.id)!.data).toMatchObject({ cost: '0', pricing: { status: 'unpriced' } });
    expect(await counter('steward.usage.events_unpriced')).toBe(unpricedBefore + 1);
  });

  it('dead-letters an invalid message with the reason, and meters the valid ones around it', async () => {
    const ws = `ws-${randomUUID().slice(0, 8)}`;
    const deadBefore = await counter('steward.usage.batches_dead_lettered');
    const names = natsNames(env.natsPrefix);
    await ensureStreams(nats.jsm, { prefix: env.natsPrefix });
    const dlqBefore = (await nats.jsm.streams.info(names.deadLetterStream)).state.last_seq;
    const good = usageEvent();
    await publishBatch(nats, env.natsPrefix, ingestBatch(ws, [good]));
    await publishBatch(nats, env.natsPrefix, ingestBatch(ws, [usageEvent({ inputTokens: 10, cacheReadInputTokens: 11 })]));
    await publishBatch(nats, env.natsPrefix, '{"batchId": "half a message', { workspaceId: ws });
    await publishBatch(nats, env.natsPrefix, ingestBatch(ws, [usageEvent()], { unexpected: true } as object));
    await drained();
    const reasons = await waitFor('three dead letters', async () => {
      const found: string[] = [];
      for (let seq = dlqBefore + 1; ; seq++) {
        const message = await nats.jsm.streams.getMessage(names.deadLetterStream, { seq }).catch(() => undefined);
        if (!message) break;
        if (message.header.get(DeadLetterHeaders.Consumer) === USAGE_METERING_DURABLE) found.push(message.header.get(DeadLetterHeaders.Reason));
      }
      return found.length >= 3 ? found : undefined;
    });
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringContaining('events.0.cacheReadInputTokens'),
        expect.stringContaining('not JSON'),
        expect.stringMatching(/unexpected|Unrecognized key/i),
      ]),
    );
    const rows = await recordedRows(env.pool, SCHEMA, ws);
    expect(rows.map((row) => row.data.usageId)).toEqual([good.id]);
    expect(await counter('steward.usage.batches_dead_lettered')).toBe(deadBefore + 3);
  });

  it('finds the organization of a batch that names none in the team read model; an unknown workspace is dead-lettered after its retries', async () => {
    const ws = `ws-${randomUUID().slice(0, 8)}`;
    const organizationId = `org-${randomUUID().slice(0, 8)}`;
    await store.append(`team-workspace-${ws}`, [
      {
        eventId: randomUUID(),
        type: 'WorkspaceCreated',
        version: 1,
        data: { organizationId, workspaceId: ws, name: 'Support', status: 'provisioning', createdBy: 'u-1', createdAt: '2026-02-01T00:00:00.000Z' },
        metadata: { correlationId: randomUUID(), actor: { type: 'user', id: 'u-1' }, occurredAt: '2026-02-01T00:00:00.000Z' },
      },
    ], { expectedRevision: 'no_stream' });
    const nobody = `ws-unknown-${randomUUID().slice(0, 8)}`;
    const deadBefore = await counter('steward.usage.batches_dead_lettered');
    await publishBatch(nats, env.natsPrefix, ingestBatch(ws, [usageEvent()], { organizationId: undefined, actor: undefined }));
    await publishBatch(nats, env.natsPrefix, ingestBatch(nobody, [usageEvent()], { organizationId: undefined }));
    const rows = await waitFor('the call of the projected workspace', async () => {
      const found = await recordedRows(env.pool, SCHEMA, ws);
      return found.length === 1 ? found : undefined;
    });
    expect(rows[0]!.data.organizationId).toBe(organizationId);
    expect(rows[0]!.metadata).toMatchObject({ organizationId, actor: { type: 'service', id: 'usage-ingest' } });
    await drained();
    expect(await recordedRows(env.pool, SCHEMA, nobody)).toEqual([]);
    expect(await counter('steward.usage.batches_dead_lettered')).toBe(deadBefore + 1);
  });

  it('dead-letters a batch the database refuses, and records the batches metered with it', async () => {
    const ws = `ws-${randomUUID().slice(0, 8)}`;
    const deadBefore = await counter('steward.usage.batches_dead_lettered');
    const good = [usageEvent(), usageEvent()];
    const batches = [ingestBatch(ws, [good[0]!]), ingestBatch(ws, [usageEvent({ model: 'gpt\u0000-4o' })]), ingestBatch(ws, [good[1]!])];
    await Promise.all(batches.map((batch) => publishBatch(nats, env.natsPrefix, batch)));
    await drained();
    const rows = await waitFor('the two good calls', async () => {
      const found = await recordedRows(env.pool, SCHEMA, ws);
      return found.length === 2 ? found : undefined;
    });
    expect(new Set(rows.map((row) => row.data.usageId))).toEqual(new Set(good.map((event) => event.id)));
    expect(await counter('steward.usage.batches_dead_lettered')).toBe(deadBefore + 1);
  });

  it('records every event of a batch but the one its schema refuses, dead-letters only that one, and shows it to operators', async () => {
    const ws = `ws-${randomUUID().slice(0, 8)}`;
    const deadBatchesBefore = await counter('steward.usage.batches_dead_lettered');
    const deadEventsBefore = await counter('steward.usage.events_dead_lettered');
    const recordedBefore = await counter('steward.usage.events_recorded');
    const good = [usageEvent(), usageEvent(), usageEvent(), usageEvent()];
    // A NUL in a text: the contracts refuse it (as PostgreSQL would), member by member. Put straight on the ingest stream.
    const poisoned = usageEvent({ agent: 'agent\u0000x' });
    const batch = ingestBatch(ws, [good[0]!, good[1]!, poisoned, good[2]!, good[3]!], { organizationId: 'org-a' });
    await publishBatch(nats, env.natsPrefix, batch);
    await drained();
    const rows = await waitFor('the four good calls', async () => {
      const found = await recordedRows(env.pool, SCHEMA, ws);
      return found.length === 4 ? found : undefined;
    });
    expect(new Set(rows.map((row) => row.data.usageId))).toEqual(new Set(good.map((event) => event.id)));
    expect(await counter('steward.usage.events_recorded')).toBe(recordedBefore + 4);
    expect(await counter('steward.usage.events_dead_lettered')).toBe(deadEventsBefore + 1);
    expect(await counter('steward.usage.batches_dead_lettered')).toBe(deadBatchesBefore);

    // What the operator lists (npm run steward -- dead-letters list): only the refused event, with the reason.
    const listing = await listDeadLetters(nats.jsm, env.natsPrefix, { consumer: USAGE_METERING_DURABLE });
    const mine = listing.items.filter((item) => item.batch?.batchId === batch.batchId);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      consumer: USAGE_METERING_DURABLE,
      members: [2],
      batch: { batchId: batch.batchId, workspaceId: ws, events: [{ id: poisoned.id, source: poisoned.source }] },
      reason: expect.stringMatching(/^events\[2\]: agent: must not contain the NUL character/),
    });
    expect(listing.counts[USAGE_METERING_DURABLE]).toBeGreaterThanOrEqual(1);
    // The dead letter is itself a usage batch holding just that event: once fixed, it can be sent again.
    const names = natsNames(env.natsPrefix);
    const stored = await nats.jsm.streams.getMessage(names.deadLetterStream, { seq: mine[0]!.seq });
    // as it was sent (its NUL included): it is fixed, then sent again
    const copy = JSON.parse(new TextDecoder().decode(stored!.data)) as UsageIngestBatchInput;
    expect(copy.events.map((event) => event.id)).toEqual([poisoned.id]);
    expect(stored!.header.get(DeadLetterHeaders.Members)).toBe('2');

    // The count as a gauge, for alerts.
    const stop = registerDeadLetterMetrics(nats.jsm, env.natsPrefix, meterProvider.getMeter('dead-letters'));
    const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics };
    const gauge = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((metric) => metric.descriptor.name === DEAD_LETTERS_GAUGE);
    expect(gauge?.dataPoints.find((point) => point.attributes.consumer === USAGE_METERING_DURABLE)?.value).toBe(listing.counts[USAGE_METERING_DURABLE]);
    stop();

    // The same batch again (another message): nothing recorded twice.
    await publishBatch(nats, env.natsPrefix, { ...batch, batchId: randomUUID() });
    await drained();
    expect((await recordedRows(env.pool, SCHEMA, ws)).length).toBe(4);
  });
});
