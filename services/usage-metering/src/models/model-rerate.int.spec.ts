import { randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import { UsageStreams, usageEventIdFor, type UsageCorrectedData, type UsageRecordedData } from '@steward/contracts';
import { PostgresEventStore, type RecordedEvent } from '@steward/event-store';
import { ProjectionHost } from '@steward/projections';
import { createTestEnv, type TestEnv } from '@steward/testing';
import { Kysely, PostgresDialect } from 'kysely';
import { ModelSettingsCommandService } from './model-settings.command-service';
import { MODEL_RERATE_SCHEMA, ModelRerater, modelRerateReactor, type RerateDB } from './model-rerate.reactor';
import { seedWorkspace } from './model-settings.test-support';

const DAY = 86_400_000;

describe('re-rating a past period (event store, projection host)', () => {
  let env: TestEnv;
  let store: PostgresEventStore;
  let host: ProjectionHost;
  let service: ModelSettingsCommandService;
  let db: Kysely<RerateDB>;
  let organizationId: string;
  let workspaceId: string;
  const now = Date.now();
  const iso = (ms: number): string => new Date(ms).toISOString();

  async function record(usageId: string, time: number, tokens: Partial<UsageRecordedData>, cost: string, pricing: UsageRecordedData['pricing']): Promise<string> {
    const eventId = usageEventIdFor(workspaceId, 'agent-sdk', usageId);
    const data: UsageRecordedData = {
      organizationId,
      workspaceId,
      usageId,
      source: 'agent-sdk',
      time: iso(time),
      agent: 'support-bot',
      provider: 'openai',
      model: 'gpt-4o',
      inputTokens: 0,
      outputTokens: 0,
      cacheReadInputTokens: 0,
      cacheCreationInputTokens: 0,
      reasoningOutputTokens: 0,
      responseTimeMs: 100,
      status: 'success',
      cost,
      pricing,
      receivedAt: iso(time),
      via: 'http',
      ...tokens,
    };
    await store.append(
      UsageStreams.usage(workspaceId, iso(time)),
      [{ eventId, type: 'UsageRecorded', version: 1, data, metadata: { correlationId: eventId, actor: { type: 'service', id: 'usage-metering' }, occurredAt: iso(time) } }],
      { expectedRevision: 'any' },
    );
    return eventId;
  }

  async function setPrice(unitPrices: { input: string; output: string; cacheRead?: string; reasoningOutput?: string }, effectiveFrom: number, rerate: boolean): Promise<string> {
    const answer = await service.run('SetModelPricing', {
      commandId: randomUUID(),
      type: 'SetModelPricing',
      actor: { type: 'user', id: 'u-admin' },
      issuedAt: iso(Date.now()),
      payload: { workspaceId, provider: 'openai', model: 'gpt-4o', unitPrices, effectiveFrom: iso(effectiveFrom), rerate },
    });
    return answer.events[0]!.eventId;
  }

  async function corrections(): Promise<Array<RecordedEvent & { data: UsageCorrectedData }>> {
    const all: RecordedEvent[] = [];
    for (let day = now - 3 * DAY; day <= now + DAY; day += DAY) all.push(...(await store.readStream(UsageStreams.usage(workspaceId, iso(day)))));
    return all.filter((event) => event.type === 'UsageCorrected') as Array<RecordedEvent & { data: UsageCorrectedData }>;
  }

  async function caughtUp(): Promise<void> {
    await host.runner('usage-rerate').waitForPosition(await store.headPosition(), 20_000);
  }

  beforeAll(async () => {
    env = await createTestEnv();
    store = new PostgresEventStore({ pool: env.pool, connectionString: env.databaseUrl });
    await store.migrate();
    service = new ModelSettingsCommandService({ store });
    ({ organizationId, workspaceId } = await seedWorkspace(store, { 'u-admin': 'admin' }));
    host = new ProjectionHost({ pool: env.pool, store, projections: [modelRerateReactor(store)], meter: false, lockPollIntervalMs: 100 });
    await host.start();
    db = new Kysely<RerateDB>({ dialect: new PostgresDialect({ pool: env.pool }) });
  });

  afterAll(async () => {
    await host?.stop();
    await store?.close();
    await env?.dispose();
  });

  it('re-prices the calls from effective-from with UsageCorrected, exact to the last digit, and only those', async () => {
    const catalogue = { status: 'priced' as const, source: 'catalogue' as const, ref: 'cat-gpt-4o', unitPrices: { input: '0.0000025', output: '0.00001' } };
    // 1,234,567 input (200,000 cached) + 3,210 output (1,000 reasoning) at the catalogue price
    const big = await record('call-big', now - 2 * DAY, { inputTokens: 1_234_567, cacheReadInputTokens: 200_000, outputTokens: 3_210, reasoningOutputTokens: 1_000 }, '3.1185175', catalogue);
    const unpriced = await record('call-unpriced', now - DAY, { inputTokens: 7, outputTokens: 3 }, '0', { status: 'unpriced' });
    await record('call-before', now - 3 * DAY, { inputTokens: 1000, outputTokens: 1000 }, '0.0125', catalogue);
    await record('call-other-model', now - DAY, { model: 'gpt-4o-mini', inputTokens: 1000 }, '0.00015', catalogue);

    const pricingEventId = await setPrice(
      { input: '0.000000333333333333', output: '0.000001000000000001', cacheRead: '0.0000000001', reasoningOutput: '0.000007' },
      now - 2.5 * DAY,
      true,
    );
    await caughtUp();

    const found = await corrections();
    expect(found.map((event) => event.data.usageEventId).sort()).toEqual([big, unpriced].sort());
    const bigCorrection = found.find((event) => event.data.usageEventId === big)!.data;
    // 1,034,567 × 0.000000333333333333 + 200,000 × 0.0000000001 + 2,210 × 0.000001000000000001 + 1,000 × 0.000007
    const expected = new Decimal('1034567').times('0.000000333333333333').plus(new Decimal(200_000).times('0.0000000001')).plus(new Decimal(2_210).times('0.000001000000000001')).plus(new Decimal(1000).times('0.000007'));
    expect(bigCorrection.cost).toBe(expected.toFixed());
    expect(bigCorrection.cost).toBe('0.354085666666324021');
    expect(bigCorrection.previousCost).toBe('3.1185175');
    expect(new Decimal(bigCorrection.delta).equals(expected.minus('3.1185175'))).toBe(true);
    expect(bigCorrection.pricing).toMatchObject({ status: 'priced', source: 'workspace', ref: iso(now - 2.5 * DAY) });
    const unpricedCorrection = found.find((event) => event.data.usageEventId === unpriced)!.data;
    expect(unpricedCorrection).toMatchObject({ previousCost: '0', cost: '0.000005333333333334', delta: '0.000005333333333334' });

    const row = await db.withSchema(MODEL_RERATE_SCHEMA).selectFrom('rerates').selectAll().where('pricing_event_id', '=', pricingEventId).executeTakeFirstOrThrow();
    expect(row.calls_corrected).toBe(2);
    expect(new Decimal(row.delta_total).equals(new Decimal(bigCorrection.delta).plus(unpricedCorrection.delta))).toBe(true);

    // Run again (a crash after appending, before the checkpoint): nothing is corrected twice.
    const pricingEvent = (await store.readStream(UsageStreams.models(workspaceId))).find((event) => event.eventId === pricingEventId)!;
    const again = await new ModelRerater(store).rerate(pricingEvent);
    expect(again.callsCorrected).toBe(2);
    expect(new Decimal(again.deltaTotal).equals(row.delta_total)).toBe(true);
    expect(await corrections()).toHaveLength(2);
  });

  it('a second correction chains from the corrected cost; a price without rerate corrects nothing', async () => {
    await setPrice({ input: '0.000002', output: '0.000008' }, now - 10 * 60_000, false);
    await caughtUp();
    expect(await corrections()).toHaveLength(2);

    const before = await corrections();
    const secondId = await setPrice({ input: '0.000001', output: '0.000002' }, now - 2.5 * DAY, true);
    await caughtUp();
    const after = await corrections();
    const second = after.filter((event) => event.data.correctedAt !== before[0]!.data.correctedAt && event.metadata.causationId === secondId);
    expect(second).toHaveLength(2);
    for (const correction of second) {
      const first = before.find((event) => event.data.usageEventId === correction.data.usageEventId)!;
      expect(correction.data.previousCost).toBe(first.data.cost);
      expect(new Decimal(correction.data.previousCost).plus(correction.data.delta).equals(correction.data.cost)).toBe(true);
    }
  });
});
