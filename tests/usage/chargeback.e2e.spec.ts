/**
 * The chargeback routes end to end: the real stack (projections process,
 * gateway), UsageRecorded events appended to the real event store as the
 * metering service appends them, answers read through GET /v1/usage/*.
 * Exact sums, time zones (profile default, Asia/Kolkata), workspace=all per
 * caller, the statement in credits at the plan's rate (the organization's
 * plan in STEWARD_BILLING_PLANS, 250 credits per USD here), pagination,
 * the tenant wall of every route that takes its workspace from the query
 * (table-driven from /openapi.json), and bad query parameters → 400 naming them.
 */
import { PostgresEventStore } from '@steward/event-store';
import { type Stack, type TestEnv, UNLIMITED_BILLING_PLANS, createTestEnv, startStack, waitFor } from '@steward/testing';
import { appendUsage, recordedData, usageRecordedEvent } from '../../libs/usage-metering/src/read-models/chargeback/testing/usage-fixtures';
import { Fixtures, GatewayClient, type Answer } from '../gateway/support/gateway-client';

jest.setTimeout(180_000);

const RANGE = 'period=custom&from=2026-03-01T00:00:00Z&to=2026-03-05T00:00:00Z';

/** The test stacks' catalogue, every plan at 250 credits per USD: the rate an operator configures for the statement. */
const PLANS_AT_250 = (() => {
  const catalogue = JSON.parse(UNLIMITED_BILLING_PLANS) as { defaultPlanId: string; plans: Array<Record<string, unknown>> };
  return JSON.stringify({ ...catalogue, plans: catalogue.plans.map((plan) => ({ ...plan, creditsPerUsd: '250' })) });
})();

interface Summary {
  workspaceIds: string[];
  totalCost: string;
  calls: number;
  errors: number;
  unpricedCalls: number;
  pricingConfigured: boolean;
  successRate: number | null;
  averageResponseTimeMs: number | null;
  costPerToken: string | null;
  tokens: { total: number; input: number; output: number };
  timeZone: string;
}

describe('chargeback routes', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;
  let store: PostgresEventStore;
  let owner: string;
  let wsA1: string;
  let wsA2: string;
  let memberA1: string;
  let adminA2: string;
  let keyA2: string;
  let ownerB: string;
  let wsB: string;

  const get = <T = Summary>(path: string, token: string, status = 200): Promise<T> => client.expect<T>(status, 'GET', path, { token });

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { env: { STEWARD_BILLING_PLANS: PLANS_AT_250 } });
    client = new GatewayClient(stack.url);
    const fixtures = new Fixtures(client);
    owner = stack.ownerToken;
    wsA1 = stack.workspaceId;
    wsA2 = await fixtures.createWorkspace(owner, stack.organizationId, 'Usage A2');
    memberA1 = (await fixtures.newMember(owner, wsA1, 'member', 'usage-member-a1')).token;
    adminA2 = (await fixtures.newMember(owner, wsA2, 'admin', 'usage-admin-a2')).token;
    keyA2 = (await fixtures.issueApiKey(owner, wsA2, ['read'], 'usage reader A2')).token;
    const organizationB = await fixtures.otherOrganization(stack, 'usage-owner-b');
    ownerB = organizationB.owner.token;
    wsB = organizationB.workspaceId;

    store = new PostgresEventStore({ pool: env.pool });
    const orgA = stack.organizationId;
    const a1 = [
      // 23:59 on March 1st in Kolkata, then 00:00 on March 2nd
      recordedData({ organizationId: orgA, workspaceId: wsA1, time: '2026-03-01T18:29:00Z', cost: '0.1', agent: 'alpha', responseTimeMs: 100 }),
      recordedData({ organizationId: orgA, workspaceId: wsA1, time: '2026-03-01T18:30:00Z', cost: '0.2', agent: 'beta', provider: 'anthropic', model: 'claude-x', status: 'error', responseTimeMs: 300 }),
      recordedData({ organizationId: orgA, workspaceId: wsA1, time: '2026-03-02T10:00:00Z', cost: '0', model: 'mystery', pricing: { status: 'unpriced' }, responseTimeMs: 200 }),
      ...Array.from({ length: 25 }, (_, i) =>
        recordedData({ organizationId: orgA, workspaceId: wsA1, time: new Date(Date.parse('2026-03-03T08:00:00Z') + i * 60_000).toISOString(), cost: '0.001', agent: 'alpha', responseTimeMs: 200 }),
      ),
    ];
    const a2 = recordedData({
      organizationId: orgA,
      workspaceId: wsA2,
      time: '2026-03-02T12:00:00Z',
      inputTokens: 400_000,
      outputTokens: 300_000,
      cost: '5',
      jobId: 'job-1',
      pricing: { status: 'priced', source: 'workspace', ref: '2026-01-01T00:00:00Z', unitPrices: { input: '0.000005', output: '0.00001' } },
    });
    const b = recordedData({ organizationId: organizationB.organizationId, workspaceId: wsB, time: '2026-03-02T12:00:00Z', cost: '777' });
    await appendUsage(store, [...a1, a2, b].map(usageRecordedEvent));
    await waitFor(
      'the chargeback projection to apply the 30 calls',
      async () => {
        const [all, other] = await Promise.all([get(`/v1/usage/summary?${RANGE}`, owner), get(`/v1/usage/summary?${RANGE}`, ownerB)]);
        return all.calls === 29 && other.calls === 1 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  }, 180_000);

  afterAll(async () => {
    await store?.close();
    await stack?.stop();
    await env?.dispose();
  });

  it('summary: exact sums, success rate, average response time, cost per token, unpriced calls', async () => {
    const a1 = await get(`/v1/usage/summary?workspaceId=${wsA1}&${RANGE}`, owner);
    expect(a1).toMatchObject({
      workspaceIds: [wsA1],
      totalCost: '0.325',
      calls: 28,
      errors: 1,
      unpricedCalls: 1,
      pricingConfigured: false,
      tokens: { total: 28 * 150, input: 2800, output: 1400 },
      timeZone: 'UTC',
    });
    expect(a1.successRate).toBeCloseTo((27 / 28) * 100, 2);
    expect(a1.averageResponseTimeMs).toBeCloseTo((100 + 300 + 200 * 26) / 28, 2);
    // 0.325 / 4200, to 12 significant digits
    expect(a1.costPerToken).toBe('0.000077380952381');
    const alpha = await get(`/v1/usage/summary?workspaceId=${wsA1}&${RANGE}&agent=alpha`, owner);
    expect([alpha.calls, alpha.totalCost]).toEqual([26, '0.125']);
  });

  it('workspace=all: the organization for its owner, one’s memberships for others, the key’s workspace for an API key; never another organization', async () => {
    expect(await get(`/v1/usage/summary?${RANGE}`, owner)).toMatchObject({ totalCost: '5.325', calls: 29 });
    expect((await get(`/v1/usage/summary?workspaceId=all&${RANGE}`, owner)).workspaceIds.sort()).toEqual([wsA1, wsA2].sort());
    expect(await get(`/v1/usage/summary?workspaceId=all&${RANGE}`, memberA1)).toMatchObject({ workspaceIds: [wsA1], totalCost: '0.325', calls: 28 });
    expect(await get(`/v1/usage/summary?workspaceId=all&${RANGE}`, adminA2)).toMatchObject({ workspaceIds: [wsA2], totalCost: '5', calls: 1 });
    expect(await get(`/v1/usage/summary?workspaceId=all&${RANGE}`, keyA2)).toMatchObject({ workspaceIds: [wsA2], totalCost: '5', calls: 1 });
    expect(await get(`/v1/usage/summary?workspaceId=all&${RANGE}`, ownerB)).toMatchObject({ workspaceIds: [wsB], totalCost: '777', calls: 1 });
  });

  it('timeline: Asia/Kolkata days split at 18:30 UTC; without tz, the caller’s profile time zone', async () => {
    const kolkata = await get<{ timeZone: string; points: Array<{ bucket: string; cost: string; calls: number }> }>(
      `/v1/usage/timeline?workspaceId=${wsA1}&${RANGE}&interval=day&tz=Asia/Kolkata`,
      owner,
    );
    const byDay = Object.fromEntries(kolkata.points.map((point) => [point.bucket, point.cost]));
    expect(byDay['2026-03-01T00:00:00+05:30']).toBe('0.1');
    expect(byDay['2026-03-02T00:00:00+05:30']).toBe('0.2');
    expect(byDay['2026-03-03T00:00:00+05:30']).toBe('0.025');

    await client.expect(200, 'PATCH', '/v1/me', { token: memberA1, body: { timeZone: 'America/New_York' } });
    const answer = await waitFor('the profile time zone to be the default', async () => {
      const timeline = await get<{ timeZone: string; points: Array<{ bucket: string; cost: string }> }>(`/v1/usage/timeline?workspaceId=${wsA1}&${RANGE}`, memberA1);
      return timeline.timeZone === 'America/New_York' ? timeline : undefined;
    });
    // 18:29Z and 18:30Z on March 1st are both March 1st in New York
    expect(answer.points.find((point) => point.bucket === '2026-03-01T00:00:00-05:00')?.cost).toBe('0.3');
  });

  it('by model and the model table', async () => {
    const byModel = await get<{ totalCost: string; models: Array<{ provider: string; model: string; cost: string; share: number }> }>(`/v1/usage/by-model?${RANGE}`, owner);
    expect(byModel.totalCost).toBe('5.325');
    expect(byModel.models.map((model) => [model.model, model.cost])).toEqual([
      ['gpt-4o', '5.125'],
      ['claude-x', '0.2'],
      ['mystery', '0'],
    ]);
    const table = await get<{ items: Array<{ provider: string; model: string; calls: number; averageResponseTimeMs: number; unpricedCalls: number }> }>(`/v1/usage/models?workspaceId=${wsA1}&${RANGE}`, owner);
    expect(table.items.find((item) => item.model === 'mystery')).toMatchObject({ provider: 'openai', calls: 1, unpricedCalls: 1, averageResponseTimeMs: 200 });
  });

  it('recent usage pages with total and pageCount, newest first', async () => {
    type Page = { items: Array<{ timestamp: string; cost: string; priced: boolean; tokens: { total: number } }>; total: number; pageCount: number; page: number };
    const first = await get<Page>(`/v1/usage/events?workspaceId=${wsA1}&${RANGE}&pageSize=10`, owner);
    expect([first.total, first.pageCount, first.items.length]).toEqual([28, 3, 10]);
    const last = await get<Page>(`/v1/usage/events?workspaceId=${wsA1}&${RANGE}&pageSize=10&page=3`, owner);
    expect(last.items).toHaveLength(8);
    expect(last.items.at(-1)).toMatchObject({ timestamp: '2026-03-01T18:29:00.000Z', cost: '0.1', priced: true, tokens: { total: 150 } });
    expect(first.items[0]!.timestamp).toBe('2026-03-03T08:24:00.000Z');
  });

  it('statement: per model and per job, quantity × unit price, USD and credits at the plan’s credits per USD', async () => {
    const statement = await get<{
      creditsPerUsd: string;
      totalUsd: string;
      totalCredits: string;
      jobs: Array<{ jobId: string; totalUsd: string; totalCredits: string; lines: Array<{ tokenType: string; quantity: number; unitPrice: string; totalUsd: string; totalCredits: string }> }>;
    }>(`/v1/usage/statement?workspaceId=${wsA2}&month=2026-03`, owner);
    expect(statement).toMatchObject({ creditsPerUsd: '250', totalUsd: '5', totalCredits: '1250' });
    expect(statement.jobs).toEqual([
      expect.objectContaining({
        jobId: 'job-1',
        totalUsd: '5',
        totalCredits: '1250',
        lines: [
          { tokenType: 'input', quantity: 400_000, unitPrice: '0.000005', unitPriceCredits: '0.00125', totalUsd: '2', totalCredits: '500' },
          { tokenType: 'output', quantity: 300_000, unitPrice: '0.00001', unitPriceCredits: '0.0025', totalUsd: '3', totalCredits: '750' },
        ],
      }),
    ]);
  });

  it('tenant walls, for every operation taking its workspace from the query (from /openapi.json): another tenant’s workspace → 404', async () => {
    const document = await client.expect<{ paths: Record<string, Record<string, { operationId: string; parameters?: Array<{ name: string; in: string }> }>> }>(200, 'GET', '/openapi.json');
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method, operation]) => method === 'get' && (operation.parameters ?? []).some((parameter) => parameter.in === 'query' && parameter.name === 'workspaceId'))
        .map(([, operation]) => ({ path, operationId: operation.operationId })),
    );
    expect(operations.map((operation) => operation.operationId)).toEqual(
      expect.arrayContaining(['getUsageSummary', 'getUsageTimeline', 'getUsageByModel', 'listUsageModels', 'listUsageEvents', 'getUsageStatement']),
    );
    const failures: string[] = [];
    const check = (label: string, answer: Answer): void => {
      const body = answer.body as { status?: number } | undefined;
      if (answer.status !== 404 || body?.status !== 404 || !/^application\/problem\+json/.test(answer.headers.get('content-type') ?? '') || /0\.325|5\.325|alpha/.test(answer.text)) {
        failures.push(`${label}: ${answer.status} ${answer.text.slice(0, 200)}`);
      }
    };
    for (const { path, operationId } of operations) {
      for (const [who, token, workspaceId] of [
        ['owner of another organization', ownerB, wsA1],
        ['admin of another workspace', adminA2, wsA1],
        ['API key of another workspace', keyA2, wsA1],
        ['member of A1, a workspace of organization B', memberA1, wsB],
        ['owner of A, a workspace that does not exist', owner, 'ws_does_not_exist'],
      ] as const) {
        check(`${operationId} by ${who}`, await client.call('GET', `${path}?workspaceId=${workspaceId}`, { token }));
      }
    }
    expect(failures).toEqual([]);
  });

  it('bad query parameters → 400 problem naming the parameter', async () => {
    const cases: Array<[string, string]> = [
      ['/v1/usage/summary?period=custom&to=2026-03-05T00:00:00Z', 'query.from'],
      ['/v1/usage/summary?period=custom&from=2026-03-01T00:00:00Z', 'query.to'],
      ['/v1/usage/summary?period=custom&from=2026-03-05T00:00:00Z&to=2026-03-01T00:00:00Z', 'query.to'],
      ['/v1/usage/summary?period=custom&from=2024-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', 'query.from'],
      ['/v1/usage/summary?period=7d&from=2026-03-01T00:00:00Z', 'query.from'],
      ['/v1/usage/summary?period=yesterday', 'query.period'],
      ['/v1/usage/summary?period=custom&from=last-monday&to=2026-03-01T00:00:00Z', 'query.from'],
      ['/v1/usage/timeline?tz=Mars/Olympus_Mons', 'query.tz'],
      ['/v1/usage/timeline?interval=fortnight', 'query.interval'],
      ['/v1/usage/timeline?period=custom&from=2025-03-01T00:00:00Z&to=2026-03-01T00:00:00Z&interval=hour', 'query.interval'],
      ['/v1/usage/events?pageSize=0', 'query.pageSize'],
      ['/v1/usage/events?page=abc', 'query.page'],
      ['/v1/usage/by-model?workspaceId=not%20an%20id', 'query.workspaceId'],
      ['/v1/usage/models?color=blue', 'query.color'],
      ['/v1/usage/statement?month=2026-13', 'query.month'],
      ['/v1/usage/statement?period=7d', 'query.period'],
    ];
    const failures: string[] = [];
    for (const [path, field] of cases) {
      const answer = await client.call('GET', path, { token: owner });
      const errors = (answer.body as { errors?: Array<{ field: string }> } | undefined)?.errors ?? [];
      if (answer.status !== 400 || !/^application\/problem\+json/.test(answer.headers.get('content-type') ?? '') || !errors.some((error) => error.field === field)) {
        failures.push(`${path}: expected 400 naming ${field}, got ${answer.status} ${answer.text.slice(0, 300)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
