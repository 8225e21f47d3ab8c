import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { Kysely, PostgresDialect } from 'kysely';
import type { UsageRecordedData } from '@steward/contracts';
import { PostgresEventStore } from '@steward/event-store';
import { ProjectionHost } from '@steward/projections';
import { createTestEnv, type TestEnv } from '@steward/testing';
import { CHARGEBACK_PROJECTION, chargebackProjection } from './chargeback.projection';
import { periodUsageLines } from './period-usage';
import { appendUsage, lastPositionOf, recordedData, usageCorrectedEvent, usageRecordedEvent } from './testing/usage-fixtures';

jest.setTimeout(120_000);

const at = (iso: string): number => Date.parse(iso);

describe('period usage lines from the chargeback statement lines', () => {
  let env: TestEnv;
  let store: PostgresEventStore;
  let host: ProjectionHost;
  let db: Kysely<unknown>;
  const org = `org-${randomUUID()}`;
  const ws = `ws-${randomUUID()}`;
  const calls: UsageRecordedData[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    store = new PostgresEventStore({ pool: env.pool });
    await store.migrate();
    host = new ProjectionHost({ pool: env.pool, store, projections: [chargebackProjection], meter: false, lockPollIntervalMs: 100, retryDelayMs: 50 });
    await host.start();
    db = new Kysely({ dialect: new PostgresDialect({ pool: env.pool }) });
    // a call every 5 hours from mid-February to mid-April, two models, odd token counts
    for (let time = at('2026-02-15T00:17:00Z'), n = 0; time < at('2026-04-15T00:00:00Z'); time += 5 * 3_600_000, n++) {
      calls.push(
        recordedData({
          organizationId: org,
          workspaceId: ws,
          time: new Date(time).toISOString(),
          model: n % 3 === 0 ? 'gpt-4o-mini' : 'gpt-4o',
          inputTokens: 1000 + n,
          cacheReadInputTokens: n % 7,
          outputTokens: 300 + n,
          reasoningOutputTokens: n % 5,
          cost: new Decimal(n).times('0.000013').plus('0.0017').toFixed(),
        }),
      );
    }
    const events = calls.map((call) => usageRecordedEvent({ ...call }));
    // a correction of a call inside Kiritimati's February edge: it must follow the call
    const edgeCall = calls.find((call) => call.time >= '2026-02-28T10:00:00' && call.time < '2026-03-01')!;
    const corrected = new Decimal(edgeCall.cost).plus('0.5').toFixed();
    events.push(usageCorrectedEvent(edgeCall, edgeCall.cost, corrected, '0.5', { status: 'priced', source: 'workspace', ref: 'fix', unitPrices: { input: '0.00001', output: '0.00002' } }));
    edgeCall.cost = corrected;
    const streams = await appendUsage(store, events);
    await host.runner(CHARGEBACK_PROJECTION).waitForPosition(await lastPositionOf(store, streams), 60_000);
  });

  afterAll(async () => {
    await host?.stop();
    await store?.close();
    await env?.dispose();
  });

  function expected(from: number, to: number): { calls: number; cost: string; input: number } {
    const inside = calls.filter((call) => at(call.time) >= from && at(call.time) < to);
    return {
      calls: inside.length,
      cost: inside.reduce((sum, call) => sum.plus(call.cost), new Decimal(0)).toFixed(),
      input: inside.reduce((sum, call) => sum + call.inputTokens - call.cacheReadInputTokens - call.cacheCreationInputTokens, 0),
    };
  }

  it.each([
    ['Pacific/Kiritimati March', '2026-02-28T10:00:00Z', '2026-03-31T10:00:00Z'],
    ['America/Los_Angeles March (DST)', '2026-03-01T08:00:00Z', '2026-04-01T07:00:00Z'],
    ['UTC March', '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z'],
  ])('%s: exactly the calls of the period, correction included', async (_name, from, to) => {
    const lines = await periodUsageLines(db, [ws], at(from), at(to));
    const want = expected(at(from), at(to));
    expect(lines.reduce((sum, line) => sum + Number(line.calls), 0)).toBe(want.calls);
    expect(lines.reduce((sum, line) => sum.plus(line.cost), new Decimal(0)).toFixed()).toBe(want.cost);
    expect(lines.reduce((sum, line) => sum + Number(line.inputTokens), 0)).toBe(want.input);
    expect(new Set(lines.map((line) => line.organizationId))).toEqual(new Set([org]));
  });

  it('another workspace’s usage is not read', async () => {
    expect(await periodUsageLines(db, [`ws-${randomUUID()}`], at('2026-03-01T00:00:00Z'), at('2026-04-01T00:00:00Z'))).toEqual([]);
  });
});
