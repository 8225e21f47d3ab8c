/**
 * Threshold crossings exactly once under faults: two budgets replicas run (the spend reactor active in
 * one), usage streams in over HTTP while the active replica is SIGKILLed and restarted twice; every one
 * of the ten thresholds of the budget is recorded exactly once — in the event store and in the alerts.
 */
import { randomUUID } from 'node:crypto';
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';
import { GatewayClient } from '../gateway/support/gateway-client';

jest.setTimeout(300_000);

describe('budget thresholds under SIGKILL with two replicas', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;

  beforeAll(async () => {
    env = await createTestEnv();
    // small batches: many commits, many chances for a kill to fall between an append and its checkpoint
    stack = await startStack(env, { logLevel: 'info', replicas: { budgets: 2 }, env: { BUDGETS_BATCH_SIZE: '3' } });
    client = new GatewayClient(stack.url);
    await client.expect(200, 'PUT', `/v1/workspaces/${stack.workspaceId}/models/acme/flat-rate`, {
      token: stack.ownerToken,
      body: { unitPrices: { input: '0.01', output: '0' }, effectiveFrom: new Date(Date.now() - 60_000).toISOString() },
    });
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
  });

  it('records each crossing once', async () => {
    const budget = await client.expect<{ id: string }>(201, 'POST', `/v1/workspaces/${stack.workspaceId}/budgets`, {
      token: stack.ownerToken,
      body: { name: 'Streamed', period: 'monthly', limitUsd: '2', thresholds: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100] },
    });
    const send = (count: number) =>
      client.expect(202, 'POST', `/v1/workspaces/${stack.workspaceId}/usage`, {
        token: stack.ownerToken,
        body: { events: Array.from({ length: count }, () => ({ id: `call-${randomUUID()}`, source: 'kill', time: new Date().toISOString(), provider: 'acme', model: 'flat-rate', inputTokens: 1, outputTokens: 0 })) },
      });
    // 200 calls of 0.01 USD in 40 requests, the active reactor killed after the 10th and the 25th
    for (let request = 0; request < 40; request++) {
      await send(5);
      if (request === 10 || request === 25) {
        await stack.kill('budgets', 'SIGKILL');
        await stack.restart('budgets');
      }
    }
    await waitFor(
      'spend 2',
      async () => ((await client.expect<{ current: { spendUsd: string } }>(200, 'GET', `/v1/workspaces/${stack.workspaceId}/budgets/${budget.id}`, { token: stack.ownerToken })).current.spendUsd === '2' ? true : undefined),
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    const { rows } = await env.pool.query<{ threshold: number; n: number }>(
      `SELECT (data->>'thresholdPercent')::int AS threshold, count(*)::int AS n FROM steward_events.events WHERE event_type = 'BudgetThresholdCrossed' AND data->>'budgetId' = $1 GROUP BY 1 ORDER BY 1`,
      [budget.id],
    );
    expect(rows).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((threshold) => ({ threshold, n: 1 })));
    const alerts = await waitFor(
      'ten alerts',
      async () => {
        const page = await client.expect<{ items: Array<{ thresholdPercent: number }> }>(200, 'GET', `/v1/budget-alerts?workspaceId=${stack.workspaceId}&pageSize=100`, { token: stack.ownerToken });
        return page.items.length >= 10 ? page.items : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(alerts.map((alert) => alert.thresholdPercent).sort((a, b) => a - b)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  });
});
