import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PostgresEventStore } from '@steward/event-store';
import { ProjectionHost } from '@steward/projections';
import { createTestEnv, type TestEnv } from '@steward/testing';
import { CHARGEBACK_PROJECTION, CHARGEBACK_SCHEMA, chargebackProjection } from './chargeback.projection';
import { ChargebackRepository, type UsageScope } from './chargeback.repository';
import { appendUsage, lastPositionOf, recordedData, usageCorrectedEvent, usageRecordedEvent } from './testing/usage-fixtures';

jest.setTimeout(120_000);

const at = (iso: string): number => Date.parse(iso);

describe('chargeback read model, projected from UsageRecorded / UsageCorrected in the real store', () => {
  let env: TestEnv;
  let store: PostgresEventStore;
  let host: ProjectionHost;
  let db: Kysely<unknown>;
  let repository: ChargebackRepository;
  const org = `org-${randomUUID()}`;
  const otherOrg = `org-${randomUUID()}`;

  let written: string[] = [];
  async function append(items: Parameters<typeof appendUsage>[1]): Promise<void> {
    written.push(...(await appendUsage(store, items)));
  }
  async function caughtUp(): Promise<void> {
    await host.runner(CHARGEBACK_PROJECTION).waitForPosition(await lastPositionOf(store, written), 60_000);
    written = [];
  }

  const scope = (workspaceIds: string[], from: string, to: string, agent?: string): UsageScope => ({ workspaceIds, from: at(from), to: at(to), ...(agent ? { agent } : {}) });

  beforeAll(async () => {
    env = await createTestEnv();
    store = new PostgresEventStore({ pool: env.pool });
    await store.migrate();
    host = new ProjectionHost({ pool: env.pool, store, projections: [chargebackProjection], meter: false, lockPollIntervalMs: 100, retryDelayMs: 50 });
    await host.start();
    db = new Kysely({ dialect: new PostgresDialect({ pool: env.pool }) });
    repository = new ChargebackRepository({ db });
  });

  afterAll(async () => {
    await host?.stop();
    await store?.close();
    await env?.dispose();
  });

  it('prices × tokens add up to the hand-computed cost exactly, cached and reasoning tokens included; 3,000 tiny costs have no drift', async () => {
    const ws = `ws-${randomUUID()}`;
    // input 1,000 of which 300 cache read and 200 cache creation; output 400 of which 150 reasoning
    // hand: 500 × 0.0000025 + 300 × 0.00000125 + 200 × 0.000003125 + 250 × 0.00001 + 150 × 0.00002
    //     = 0.00125 + 0.000375 + 0.000625 + 0.0025 + 0.003 = 0.00775
    const priced = recordedData({
      organizationId: org,
      workspaceId: ws,
      time: '2026-06-10T10:07:00Z',
      inputTokens: 1000,
      cacheReadInputTokens: 300,
      cacheCreationInputTokens: 200,
      outputTokens: 400,
      reasoningOutputTokens: 150,
      cost: '0.00775',
      pricing: {
        status: 'priced',
        source: 'workspace',
        ref: '2026-01-01T00:00:00Z',
        unitPrices: { input: '0.0000025', output: '0.00001', cacheRead: '0.00000125', cacheCreation: '0.000003125', reasoningOutput: '0.00002' },
      },
    });
    const tiny = Array.from({ length: 3000 }, (_, i) =>
      recordedData({ organizationId: org, workspaceId: ws, time: new Date(at('2026-06-10T00:00:00Z') + i * 20_000).toISOString(), agent: `agent-${i % 3}`, cost: '0.000000000001', inputTokens: 1, outputTokens: 1 }),
    );
    for (let i = 0; i < tiny.length; i += 1000) await append(tiny.slice(i, i + 1000).map(usageRecordedEvent));
    await append([usageRecordedEvent(priced)]);
    await caughtUp();

    const totals = await repository.totals(scope([ws], '2026-06-01T00:00:00Z', '2026-07-01T00:00:00Z'));
    // 0.00775 + 3000 × 1e-12 = 0.007750003
    expect(totals.cost).toBe('0.007750003');
    expect(totals.calls).toBe(3001);
    expect(totals.inputTokens).toBe(4000);
    expect(totals.outputTokens).toBe(3400);
    expect(totals.cacheReadTokens).toBe(300);
    expect(totals.reasoningTokens).toBe(150);

    const statement = await repository.statement([ws], '2026-06-01', '100');
    const model = statement.models.find((group) => group.lines.some((line) => line.unitPrice === '0.0000025'))!;
    expect(model.lines).toEqual([
      { tokenType: 'input', quantity: 500, unitPrice: '0.0000025', total: '0.00125', unitPriceCredits: '0.00025', totalCredits: '0.125' },
      { tokenType: 'cacheRead', quantity: 300, unitPrice: '0.00000125', total: '0.000375', unitPriceCredits: '0.000125', totalCredits: '0.0375' },
      { tokenType: 'cacheCreation', quantity: 200, unitPrice: '0.000003125', total: '0.000625', unitPriceCredits: '0.0003125', totalCredits: '0.0625' },
      { tokenType: 'output', quantity: 250, unitPrice: '0.00001', total: '0.0025', unitPriceCredits: '0.001', totalCredits: '0.25' },
      { tokenType: 'reasoningOutput', quantity: 150, unitPrice: '0.00002', total: '0.003', unitPriceCredits: '0.002', totalCredits: '0.3' },
    ]);
    expect(model).toMatchObject({ total: '0.00775', totalCredits: '0.775' });
    const all = statement.models.reduce((sum, group) => sum.plus(group.total), new Decimal(0));
    expect(all.toFixed()).toBe('0.007750003');
    // the statement's own sums, and credits at the rate it was asked for
    expect(statement).toMatchObject({ creditsPerUsd: '100', calls: 3001, total: '0.007750003', totalCredits: '0.7750003' });
  });

  it('a late event (its time days ago) lands in its own bucket; Asia/Kolkata and America/New_York DST days bucket by local midnight', async () => {
    const ws = `ws-${randomUUID()}`;
    const calls = [
      // Kolkata: 18:29Z is 23:59 on Mar 1, 18:30Z is 00:00 on Mar 2
      ['2026-03-01T18:29:00Z', '1'],
      ['2026-03-01T18:30:00Z', '2'],
      // New York, spring forward on Sunday Mar 8: 04:30Z is Mar 7 23:30 EST; 03:59Z Mar 9 is Mar 8 23:59 EDT; 04:00Z Mar 9 is Mar 9 00:00 EDT
      ['2026-03-08T04:30:00Z', '4'],
      ['2026-03-08T05:00:00Z', '8'],
      ['2026-03-09T03:59:00Z', '16'],
      ['2026-03-09T04:00:00Z', '32'],
    ] as const;
    await append(calls.map(([time, cost]) => usageRecordedEvent(recordedData({ organizationId: org, workspaceId: ws, time, cost }))));
    await caughtUp();
    // a late arrival, recorded after the others, for a day long gone
    await append([usageRecordedEvent(recordedData({ organizationId: org, workspaceId: ws, time: '2026-02-20T12:00:00Z', cost: '64' }))]);
    await caughtUp();

    const kolkata = await repository.timeline(scope([ws], '2026-02-19T18:30:00Z', '2026-03-02T18:30:00Z'), 'day', 'Asia/Kolkata');
    const costOf = (points: Array<{ bucket: string; cost: string }>, label: string) => points.find((point) => point.bucket === label)?.cost;
    expect(costOf(kolkata, '2026-02-20T00:00:00+05:30')).toBe('64');
    expect(costOf(kolkata, '2026-03-01T00:00:00+05:30')).toBe('1');
    expect(costOf(kolkata, '2026-03-02T00:00:00+05:30')).toBe('2');
    expect(kolkata).toHaveLength(11);

    const newYork = await repository.timeline(scope([ws], '2026-03-07T05:00:00Z', '2026-03-10T04:00:00Z'), 'day', 'America/New_York');
    expect(newYork.map((point) => [point.bucket, point.cost, (Date.parse(point.end) - Date.parse(point.start)) / 3_600_000])).toEqual([
      ['2026-03-07T00:00:00-05:00', '4', 24],
      ['2026-03-08T00:00:00-05:00', '24', 23],
      ['2026-03-09T00:00:00-04:00', '32', 24],
    ]);
    // hourly in UTC, the late event in its hour
    const hours = await repository.timeline(scope([ws], '2026-02-20T11:00:00Z', '2026-02-20T14:00:00Z'), 'hour', 'UTC');
    expect(hours.map((point) => point.cost)).toEqual(['0', '64', '0']);
  });

  it('UsageCorrected adds its delta to the original call’s bucket, row and statement line; an unpriced call is counted and can be priced later', async () => {
    const ws = `ws-${randomUUID()}`;
    const unpriced = recordedData({ organizationId: org, workspaceId: ws, time: '2026-05-05T09:00:00Z', cost: '0', pricing: { status: 'unpriced' }, model: 'mystery-1', jobId: 'job-7' });
    const priced = recordedData({ organizationId: org, workspaceId: ws, time: '2026-05-05T09:30:00Z', cost: '0.001', jobId: 'job-7' });
    await append([usageRecordedEvent(unpriced), usageRecordedEvent(priced)]);
    await caughtUp();
    const range = scope([ws], '2026-05-01T00:00:00Z', '2026-06-01T00:00:00Z');
    expect(await repository.totals(range)).toMatchObject({ calls: 2, unpricedCalls: 1, cost: '0.001' });

    const newPricing = { status: 'priced' as const, source: 'workspace' as const, ref: '2026-05-01T00:00:00Z', unitPrices: { input: '0.00001', output: '0.00002' } };
    // 100 × 0.00001 + 50 × 0.00002 = 0.002; and the priced one re-rated 0.001 → 0.002 in the same batch as a second correction
    await append([
      usageCorrectedEvent(unpriced, '0', '0.002', '0.002', newPricing),
      usageCorrectedEvent(priced, '0.001', '0.002', '0.001', newPricing),
      usageCorrectedEvent(priced, '0.002', '0.0025', '0.0005', newPricing),
    ]);
    await caughtUp();
    expect(await repository.totals(range)).toMatchObject({ calls: 2, unpricedCalls: 0, cost: '0.0045' });
    const page = await repository.listCalls(range, { page: 1, pageSize: 10 });
    expect(page.items.map((item) => [item.model, item.cost, item.priced, item.corrections])).toEqual([
      ['gpt-4o', '0.0025', true, 2],
      ['mystery-1', '0.002', true, 1],
    ]);
    const day = await repository.timeline(scope([ws], '2026-05-05T00:00:00Z', '2026-05-06T00:00:00Z'), 'hour', 'UTC');
    expect(day[9]!.cost).toBe('0.0045');
    const statement = await repository.statement([ws], '2026-05-01', '100');
    expect(statement.jobs.map((group) => [group.jobId, group.model, group.priced, group.calls, group.total])).toEqual([
      ['job-7', 'gpt-4o', true, 1, '0.0025'],
      ['job-7', 'mystery-1', true, 1, '0.002'],
    ]);
    // the old lines are empty and gone; the unpriced line left with its call
    expect(statement.models.every((group) => group.priced)).toBe(true);
  });

  it('pages recent calls newest first with total and pageCount; workspace lists and agents filter; other workspaces never show', async () => {
    const ws1 = `ws-${randomUUID()}`;
    const ws2 = `ws-${randomUUID()}`;
    const wsOther = `ws-${randomUUID()}`;
    const events = [
      ...Array.from({ length: 30 }, (_, i) => recordedData({ organizationId: org, workspaceId: ws1, time: new Date(at('2026-04-01T00:00:00Z') + i * 60_000).toISOString(), agent: i % 2 ? 'odd' : 'even' })),
      ...Array.from({ length: 15 }, (_, i) => recordedData({ organizationId: org, workspaceId: ws2, time: new Date(at('2026-04-01T00:00:30Z') + i * 60_000).toISOString() })),
      recordedData({ organizationId: otherOrg, workspaceId: wsOther, time: '2026-04-01T00:05:00Z', cost: '999' }),
    ];
    await append(events.map(usageRecordedEvent));
    await caughtUp();
    const range = (workspaceIds: string[], agent?: string) => scope(workspaceIds, '2026-04-01T00:00:00Z', '2026-04-02T00:00:00Z', agent);

    const seen: string[] = [];
    for (let page = 1; page <= 3; page++) {
      const answer = await repository.listCalls(range([ws1, ws2]), { page, pageSize: 20 });
      expect([answer.total, answer.pageCount, answer.items.length]).toEqual([45, 3, page === 3 ? 5 : 20]);
      seen.push(...answer.items.map((item) => item.timestamp));
      expect(answer.items.every((item) => item.workspaceId === ws1 || item.workspaceId === ws2)).toBe(true);
    }
    expect(new Set(seen).size).toBe(45);
    expect([...seen].sort().reverse()).toEqual(seen);
    expect(await repository.listCalls(range([ws1, ws2]), { page: 4, pageSize: 20 })).toMatchObject({ items: [], total: 45, pageCount: 3 });

    expect((await repository.totals(range([ws1]))).calls).toBe(30);
    expect((await repository.totals(range([ws1, ws2]))).calls).toBe(45);
    expect((await repository.totals(range([ws1, ws2]))).cost).toBe('0.045');
    const odd = await repository.listCalls(range([ws1], 'odd'), { page: 1, pageSize: 100 });
    expect([odd.total, odd.items.every((item) => item.agent === 'odd')]).toEqual([15, true]);
    const models = await repository.byModel(range([ws1, ws2]));
    expect(models.map((model) => [model.provider, model.model, model.calls, model.cost])).toEqual([['openai', 'gpt-4o', 45, '0.045']]);
    // the agent filter reads the per-agent rollups: the same answers, one agent's calls
    const oddModels = await repository.byModel(range([ws1, ws2], 'odd'));
    expect(oddModels.map((model) => [model.model, model.calls, model.cost])).toEqual([['gpt-4o', 15, '0.015']]);
    expect(await repository.totals(range([ws1, ws2], 'even'))).toMatchObject({ calls: 15, cost: '0.015' });
    const evenHours = await repository.timeline(range([ws1], 'even'), 'hour', 'Asia/Kolkata');
    expect(evenHours.reduce((sum, point) => sum + point.calls, 0)).toBe(15);
    expect(evenHours.find((point) => point.calls > 0)).toMatchObject({ bucket: '2026-04-01T05:00:00+05:30', start: '2026-04-01T00:00:00.000Z', calls: 15, cost: '0.015' });
    // the screens' figures, from the same sums
    expect(evenHours.find((point) => point.calls > 0)!.tokens).toEqual({ total: 2250, input: 1500, output: 750, cacheRead: 0, cacheCreation: 0, reasoningOutput: 0 });
    expect(await repository.summary(range([ws1, ws2]))).toMatchObject({
      totalCost: '0.045',
      calls: 45,
      tokens: { total: 6750 },
      averageResponseTimeMs: 200,
      successRate: 100,
      costPerToken: '0.00000666666666667',
      pricingConfigured: true,
    });
    expect(await repository.costShares(range([ws1, ws2]))).toEqual({ totalCost: '0.045', models: [{ provider: 'openai', model: 'gpt-4o', cost: '0.045', share: 100, calls: 45 }] });
    expect(await repository.modelUsage(range([ws1], 'odd'))).toMatchObject([{ model: 'gpt-4o', calls: 15, cost: '0.015', tokens: { total: 2250 }, averageResponseTimeMs: 200 }]);
  });

  it('keeps counts exact past 2^53 in one batch (summed in memory in parts that stay exact)', async () => {
    const ws = `ws-${randomUUID()}`;
    const slow = 2 ** 52;
    await append([0, 1, 2].map((n) => usageRecordedEvent(recordedData({ organizationId: org, workspaceId: ws, time: `2026-03-03T10:0${n}:00Z`, responseTimeMs: slow }))));
    await caughtUp();
    const { rows } = await sql<{ grain: number; latency: string; calls: string }>`
      SELECT grain, latency_sum_ms::text AS latency, calls::text AS calls FROM ${sql.id(CHARGEBACK_SCHEMA, 'usage_workspace_rollups')}
      WHERE workspace_id = ${ws} ORDER BY grain`.execute(db);
    expect(rows).toEqual([15, 60, 1440].map((grain) => ({ grain, latency: (3n * BigInt(slow)).toString(), calls: '3' })));
  });

  it('a redelivered event counts once: twice in one batch, and again in a later batch', async () => {
    const schema = `cb_redelivery_${randomUUID().slice(0, 8)}`;
    const ws = `ws-${randomUUID()}`;
    const recorded = [1, 2].map((n) => usageRecordedEvent(recordedData({ organizationId: org, workspaceId: ws, time: `2026-02-0${n}T08:00:00Z`, cost: `0.00${n}` })));
    const events = recorded.map(({ streamId, event }, n) => ({
      ...event,
      streamId,
      streamRevision: 0n,
      position: { commit: 1n, prepare: BigInt(n) },
      recordedAt: new Date(),
    }));
    const apply = (batch: typeof events) =>
      db.transaction().execute(async (trx) => {
        await sql`SET LOCAL search_path TO ${sql.id(schema)}`.execute(trx);
        await chargebackProjection.handle!(trx.withSchema(schema), batch, { projection: CHARGEBACK_PROJECTION, schema });
      });
    await db.transaction().execute(async (trx) => {
      await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(trx);
      await sql`SET LOCAL search_path TO ${sql.id(schema)}`.execute(trx);
      await chargebackProjection.migrate(trx.withSchema(schema), schema);
    });
    await apply([events[0]!, events[0]!, events[1]!]);
    await apply([events[1]!, events[0]!]);
    const { rows } = await sql<{ grain: number; calls: string; cost: string }>`
      SELECT grain, calls::text AS calls, cost::text AS cost FROM ${sql.id(schema, 'usage_workspace_rollups')} WHERE workspace_id = ${ws} AND grain = 1440 ORDER BY bucket_start`.execute(db);
    expect(rows.map((row) => [row.calls, row.cost])).toEqual([
      ['1', '0.001'],
      ['1', '0.002'],
    ]);
    const calls = await sql<{ n: string }>`SELECT count(*)::text AS n FROM ${sql.id(schema, 'usage_calls')}`.execute(db);
    expect(calls.rows[0]!.n).toBe('2');
    await sql`DROP SCHEMA ${sql.id(schema)} CASCADE`.execute(db);
  });

  it('stores money as numeric and counts as bigint (no float column)', async () => {
    const columns = await sql<{ table_name: string; column_name: string; data_type: string }>`
      SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = ${CHARGEBACK_SCHEMA}`.execute(db);
    expect(columns.rows.filter((column) => /double|real/.test(column.data_type))).toEqual([]);
    expect(columns.rows.filter((column) => column.column_name === 'cost').map((column) => column.data_type)).toEqual(['numeric', 'numeric', 'numeric', 'numeric', 'numeric', 'numeric']);
  });
});
