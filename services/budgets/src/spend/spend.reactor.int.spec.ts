/**
 * The spend reactor against real PostgreSQL and Redis, batch after batch: spend per budget and period
 * carried exactly from one batch to the next (the stored rows read ahead per workspace), budgets of
 * another workspace and other periods left alone, each threshold raised once, API-key budgets counting
 * the calls made with their key and never a correction.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { BudgetCounters, SPEND_REACTOR, SPEND_SCHEMA } from '@steward/budgets';
import {
  BudgetStreams,
  UsageCorrected,
  UsageRecorded,
  UsageStreams,
  budgetEventRegistry,
  usageEventIdFor,
  type Actor,
  type BudgetScope,
  type UsageRecordedData,
} from '@steward/contracts';
import { PostgresEventStore, type GlobalPosition } from '@steward/event-store';
import { ProjectionHost } from '@steward/projections';
import { createTestEnv, type TestEnv } from '@steward/testing';
import { spendReactor } from './spend.reactor';

jest.setTimeout(60_000);

const ORG = 'org_spend';
const PRICING = { status: 'priced', source: 'catalogue', ref: 'test', unitPrices: { input: '0.000005', output: '0.00001' } } as const;

describe('spend reactor', () => {
  let env: TestEnv;
  let redis: Redis;
  let store: PostgresEventStore;
  let host: ProjectionHost;
  const workspaceId = `ws_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const otherWorkspaceId = `ws_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

  beforeAll(async () => {
    env = await createTestEnv();
    redis = new Redis(env.redisUrl, { maxRetriesPerRequest: 2 });
    store = new PostgresEventStore({ pool: env.pool, schema: 'steward_events' });
    await store.migrate();
  });

  afterAll(async () => {
    await host?.stop();
    redis?.disconnect();
    await env?.dispose();
  });

  async function defineBudget(workspace: string, name: string, definition: { scope?: BudgetScope; period?: 'daily' | 'weekly' | 'monthly'; limitUsd: string; thresholds: number[] }): Promise<string> {
    const budgetId = `bdg_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const at = new Date().toISOString();
    const data = budgetEventRegistry.validate('BudgetDefined', 1, {
      organizationId: ORG,
      workspaceId: workspace,
      budgetId,
      name,
      scope: definition.scope ?? {},
      period: definition.period ?? 'daily',
      timeZone: 'UTC',
      limitUsd: definition.limitUsd,
      thresholds: definition.thresholds,
      enforcement: 'notify',
      definedBy: 'user_test',
      definedAt: at,
    });
    await store.append(
      BudgetStreams.budget(budgetId),
      [{ eventId: randomUUID(), type: 'BudgetDefined', version: 1, data, metadata: { correlationId: randomUUID(), actor: { type: 'user', id: 'user_test' }, organizationId: ORG, workspaceId: workspace, occurredAt: at } }],
      { expectedRevision: 'no_stream' },
    );
    return budgetId;
  }

  /** One recorded call of `cost` by `agent`, made as `actor`. */
  function recorded(cost: string, agent: string, actor: Actor): { data: UsageRecordedData; actor: Actor } {
    const now = new Date().toISOString();
    const data = UsageRecorded.schema.parse({
      organizationId: ORG, workspaceId, usageId: randomUUID(), source: 'test', time: now, agent, provider: 'openai', model: 'gpt-4o',
      inputTokens: 10, outputTokens: 5, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, reasoningOutputTokens: 0,
      responseTimeMs: 100, status: 'success', cost, pricing: PRICING, receivedAt: now, via: 'http',
    });
    return { data, actor };
  }

  /** Appends calls in one request (one reactor batch once the reactor has caught up); its last position. */
  async function appendCalls(calls: ReadonlyArray<{ data: UsageRecordedData; actor: Actor }>): Promise<GlobalPosition> {
    const streamId = UsageStreams.usage(workspaceId, calls[0]!.data.time);
    const result = await store.append(
      streamId,
      calls.map(({ data, actor }) => ({
        eventId: usageEventIdFor(workspaceId, data.source, data.usageId),
        type: UsageRecorded.type,
        version: UsageRecorded.version,
        data,
        metadata: { correlationId: randomUUID(), actor, organizationId: ORG, workspaceId, occurredAt: data.time },
      })),
      { expectedRevision: 'any' },
    );
    return result.position;
  }

  async function spendOf(budgetId: string): Promise<string[]> {
    const { rows } = await sql<{ spend: string }>`SELECT spend_usd::text AS spend FROM ${sql.table(`${SPEND_SCHEMA}.spend`)} WHERE budget_id = ${budgetId} ORDER BY period_start`.execute(host.db);
    return rows.map((row) => row.spend);
  }

  async function crossingsOf(budgetId: string): Promise<number[]> {
    const events = await store.readStream(BudgetStreams.alerts(budgetId)).catch(() => []);
    return events.map((event) => (event.data as { thresholdPercent: number }).thresholdPercent);
  }

  it('carries spend exactly from batch to batch, raises each threshold once, and counts an API key only for its own calls', async () => {
    const whole = await defineBudget(workspaceId, 'whole', { limitUsd: '2', thresholds: [50, 100] });
    const monthly = await defineBudget(workspaceId, 'monthly', { period: 'monthly', limitUsd: '1000', thresholds: [100] });
    const writer = await defineBudget(workspaceId, 'writer', { scope: { agent: 'writer' }, limitUsd: '1', thresholds: [50] });
    const keyed = await defineBudget(workspaceId, 'key one', { scope: { apiKeyId: 'key_one' }, limitUsd: '0.5', thresholds: [100] });
    const elsewhere = await defineBudget(otherWorkspaceId, 'elsewhere', { limitUsd: '1', thresholds: [50] });
    host = new ProjectionHost({ pool: env.pool, store, projections: [spendReactor({ store, counters: new BudgetCounters({ redis, prefix: env.redisPrefix }) })] });
    await host.start();
    const runner = host.runner(SPEND_REACTOR);

    const keyOne: Actor = { type: 'api_key', id: 'key_one' };
    const keyTwo: Actor = { type: 'api_key', id: 'key_two' };
    const user: Actor = { type: 'user', id: 'user_test' };
    const writerCall = recorded('0.3', 'writer', keyOne);
    await runner.waitForPosition(await appendCalls([writerCall, recorded('0.25', 'reader', keyTwo), recorded('0.000000000001', 'reader', user)]));
    expect(await spendOf(whole)).toEqual(['0.550000000001']);
    expect(await spendOf(keyed)).toEqual(['0.3']);

    // the next batches start from the stored spend: nothing lost, nothing counted twice
    await runner.waitForPosition(await appendCalls([recorded('0.2', 'writer', keyOne), recorded('0.25', 'reader', user)]));
    await runner.waitForPosition(await appendCalls([recorded('0.45', 'reader', keyTwo)]));
    // a correction of the key's call: its agent's and the workspace's budgets count it, the key's does not
    const correctedAt = new Date().toISOString();
    const correction = UsageCorrected.schema.parse({
      organizationId: ORG, workspaceId, usageEventId: usageEventIdFor(workspaceId, 'test', writerCall.data.usageId), usageId: writerCall.data.usageId, source: 'test',
      time: writerCall.data.time, agent: 'writer', provider: 'openai', model: 'gpt-4o', previousCost: '0.3', cost: '0.4', delta: '0.1', pricing: PRICING,
      reason: 'price correction', correctedAt,
    });
    const corrected = await store.append(
      UsageStreams.usage(workspaceId, writerCall.data.time),
      [{ eventId: randomUUID(), type: UsageCorrected.type, version: UsageCorrected.version, data: correction, metadata: { correlationId: randomUUID(), actor: keyOne, organizationId: ORG, workspaceId, occurredAt: correctedAt } }],
      { expectedRevision: 'any' },
    );
    await runner.waitForPosition(corrected.position);

    expect(await spendOf(whole)).toEqual(['1.550000000001']);
    expect(await spendOf(monthly)).toEqual(['1.550000000001']);
    expect(await spendOf(writer)).toEqual(['0.6']);
    expect(await spendOf(keyed)).toEqual(['0.5']);
    expect(await spendOf(elsewhere)).toEqual([]);
    expect(await crossingsOf(whole)).toEqual([50]);
    expect(await crossingsOf(monthly)).toEqual([]);
    expect(await crossingsOf(writer)).toEqual([50]);
    expect(await crossingsOf(keyed)).toEqual([100]);
    expect(await crossingsOf(elsewhere)).toEqual([]);

    // the threshold of 100 % of the whole budget is reached in a later batch, once
    await runner.waitForPosition(await appendCalls([recorded('0.45', 'reader', user), recorded('0.1', 'reader', user)]));
    expect(await spendOf(whole)).toEqual(['2.100000000001']);
    expect(await crossingsOf(whole)).toEqual([50, 100]);
  });

  it('in a batch of many calls, credits a crossing to the call that makes it and raises it once through a fall and a rise', async () => {
    const batcher = await defineBudget(workspaceId, 'batcher', { scope: { agent: 'batcher' }, limitUsd: '1', thresholds: [50, 80] });
    const batcherKey = await defineBudget(workspaceId, 'batcher key', { scope: { agent: 'batcher', apiKeyId: 'key_b' }, limitUsd: '100', thresholds: [50] });
    const runner = host.runner(SPEND_REACTOR);
    const keyB: Actor = { type: 'api_key', id: 'key_b' };
    const user: Actor = { type: 'user', id: 'user_test' };
    // two kinds of call (key_b's, a user's) in turn, 0.09 each: the batcher budget reaches 0.5 with the sixth (#5)
    const calls = Array.from({ length: 10 }, (_, index) => recorded('0.09', 'batcher', index % 2 === 0 ? keyB : user));
    const correctedCall = calls[6]!;
    const correctedAt = new Date().toISOString();
    const correction = UsageCorrected.schema.parse({
      organizationId: ORG, workspaceId, usageEventId: usageEventIdFor(workspaceId, 'test', correctedCall.data.usageId), usageId: correctedCall.data.usageId, source: 'test',
      time: correctedCall.data.time, agent: 'batcher', provider: 'openai', model: 'gpt-4o', previousCost: '0.09', cost: '-0.21', delta: '-0.3', pricing: PRICING,
      reason: 'price correction', correctedAt,
    });
    const toEvent = ({ data, actor }: { data: UsageRecordedData; actor: Actor }) => ({
      eventId: usageEventIdFor(workspaceId, data.source, data.usageId), type: UsageRecorded.type, version: UsageRecorded.version, data,
      metadata: { correlationId: randomUUID(), actor, organizationId: ORG, workspaceId, occurredAt: data.time },
    });
    // #0…#7 (0.72), the correction (0.42: under 50 % again), #8 (0.51: 50 % reached a second time), #9 (0.6)
    const appended = await store.append(
      UsageStreams.usage(workspaceId, calls[0]!.data.time),
      [
        ...calls.slice(0, 8).map(toEvent),
        { eventId: randomUUID(), type: UsageCorrected.type, version: UsageCorrected.version, data: correction, metadata: { correlationId: randomUUID(), actor: keyB, organizationId: ORG, workspaceId, occurredAt: correctedAt } },
        ...calls.slice(8).map(toEvent),
      ],
      { expectedRevision: 'any' },
    );
    await runner.waitForPosition(appended.position);

    expect(await spendOf(batcher)).toEqual(['0.6']);
    // the key's budget: its five calls, never the correction
    expect(await spendOf(batcherKey)).toEqual(['0.45']);
    const alerts = await store.readStream(BudgetStreams.alerts(batcher));
    expect(alerts.map((event) => [(event.data as { thresholdPercent: number }).thresholdPercent, (event.data as { spendUsd: string }).spendUsd, event.metadata.causationId])).toEqual([
      [50, '0.54', usageEventIdFor(workspaceId, 'test', calls[5]!.data.usageId)],
    ]);
    expect(await crossingsOf(batcherKey)).toEqual([]);
  });
});
