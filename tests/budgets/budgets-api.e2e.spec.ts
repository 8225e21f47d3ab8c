/**
 * Budgets end to end, every Steward process running (startStack): define, list, change and remove
 * budgets; usage ingested over HTTP and priced moves the period's spend, each threshold crossed raises one
 * alert (GET /v1/budget-alerts); reservations against a block budget (201 with the headroom, 402 naming
 * the budget), committed by the usage that carries their id, released by DELETE, released by expiry;
 * an API key with usage:write reserves.
 */
import { randomUUID } from 'node:crypto';
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';
import { Fixtures, GatewayClient } from '../gateway/support/gateway-client';

jest.setTimeout(240_000);

interface Budget {
  id: string;
  name: string;
  limitUsd: string;
  enforcement: string;
  thresholds: number[];
  timeZone: string;
  current: { period: { start: string; end: string; label: string }; spendUsd: string; remainingUsd: string };
}
interface Alert {
  type: string;
  message: string;
  budget: { id: string; name: string } | null;
  thresholdPercent: number | null;
  spendUsd: string | null;
}

describe('budgets through the gateway', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;
  let owner: string;
  let ws: string;

  /** One call of `inputTokens` at 0.01 USD per input token. */
  const ingest = (inputTokens: number, extra: Record<string, unknown> = {}, token = owner) =>
    client.expect(202, 'POST', `/v1/workspaces/${ws}/usage`, {
      token,
      body: { events: [{ id: `call-${randomUUID()}`, source: 'budgets-e2e', time: new Date().toISOString(), agent: 'researcher', provider: 'acme', model: 'flat-rate', inputTokens, outputTokens: 0, ...extra }] },
    });
  const budget = (id: string) => client.expect<Budget>(200, 'GET', `/v1/workspaces/${ws}/budgets/${id}`, { token: owner });
  const spendIs = (id: string, usd: string) =>
    waitFor(`budget ${id} spend ${usd}`, async () => ((await budget(id)).current.spendUsd === usd ? true : undefined), { timeoutMs: 60_000, intervalMs: 100 });

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env);
    client = new GatewayClient(stack.url);
    owner = stack.ownerToken;
    ws = stack.workspaceId;
    await client.expect(200, 'PUT', `/v1/workspaces/${ws}/models/acme/flat-rate`, {
      token: owner,
      body: { unitPrices: { input: '0.01', output: '0' }, effectiveFrom: new Date(Date.now() - 60_000).toISOString() },
    });
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
  });

  it('defines, lists, changes and removes a budget; periods in its zone', async () => {
    const created = await client.expect<Budget>(201, 'POST', `/v1/workspaces/${ws}/budgets`, {
      token: owner,
      body: { name: 'Kolkata daily', period: 'daily', limitUsd: '12.50', timeZone: 'Asia/Kolkata' },
    });
    expect(created).toMatchObject({ name: 'Kolkata daily', limitUsd: '12.5', enforcement: 'notify', thresholds: [50, 80, 100], timeZone: 'Asia/Kolkata' });
    expect(created.current.period.start).toMatch(/T18:30:00\.000Z$/);
    expect(created.current.spendUsd).toBe('0');
    const page = await client.expect<{ items: Budget[]; total: number }>(200, 'GET', `/v1/workspaces/${ws}/budgets`, { token: owner });
    expect(page.items.map((item) => item.id)).toContain(created.id);
    const changed = await client.expect<Budget>(200, 'PATCH', `/v1/workspaces/${ws}/budgets/${created.id}`, { token: owner, body: { limitUsd: '20', thresholds: [90] } });
    expect(changed).toMatchObject({ limitUsd: '20', thresholds: [90], name: 'Kolkata daily' });
    await client.expect(204, 'DELETE', `/v1/workspaces/${ws}/budgets/${created.id}`, { token: owner });
    await client.expect(404, 'GET', `/v1/workspaces/${ws}/budgets/${created.id}`, { token: owner });
    await client.expect(404, 'PATCH', `/v1/workspaces/${ws}/budgets/${created.id}`, { token: owner, body: { limitUsd: '1' } });
  });

  it('counts priced usage into the period and raises each threshold once, as alerts', async () => {
    const created = await client.expect<Budget>(201, 'POST', `/v1/workspaces/${ws}/budgets`, {
      token: owner,
      body: { name: 'Researcher', period: 'monthly', limitUsd: '1', scope: { agent: 'researcher' }, thresholds: [50, 100] },
    });
    await ingest(30); // 0.30
    await ingest(25); // 0.55: 50 %
    await ingest(10, { agent: 'someone-else' }); // not in scope
    await spendIs(created.id, '0.55');
    await ingest(50); // 1.05: 100 %
    await ingest(1); // 1.06: nothing new
    await spendIs(created.id, '1.06');
    const alerts = await waitFor(
      'two threshold alerts',
      async () => {
        const page = await client.expect<{ items: Alert[] }>(200, 'GET', `/v1/budget-alerts?workspaceId=${ws}&period=7d`, { token: owner });
        const mine = page.items.filter((alert) => alert.budget?.id === created.id);
        return mine.length >= 2 ? mine : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(alerts.map((alert) => [alert.thresholdPercent, alert.spendUsd])).toEqual([
      [100, '1.05'],
      [50, '0.55'],
    ]);
    expect(alerts[0]!.message).toContain('Researcher');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const again = await client.expect<{ items: Alert[] }>(200, 'GET', `/v1/budget-alerts?workspaceId=${ws}&period=7d`, { token: owner });
    expect(again.items.filter((alert) => alert.budget?.id === created.id)).toHaveLength(2);
    await client.expect(204, 'DELETE', `/v1/workspaces/${ws}/budgets/${created.id}`, { token: owner });
  });

  it('admits reservations up to a block limit, refuses past it with a 402, commits by usage, releases', async () => {
    const blocking = await client.expect<Budget>(201, 'POST', `/v1/workspaces/${ws}/budgets`, {
      token: owner,
      body: { name: 'Hard cap', period: 'daily', limitUsd: '1', enforcement: 'block', scope: { model: 'flat-rate' } },
    });
    const key = await new Fixtures(client).issueApiKey(owner, ws, ['usage:write'], 'agent');
    const reserve = (estimatedCostUsd: string, extra: Record<string, unknown> = {}) =>
      client.call('POST', `/v1/workspaces/${ws}/budget-reservations`, { token: key.token, body: { estimatedCostUsd, model: 'flat-rate', ...extra } });
    const first = await reserve('0.60');
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ remainingUsd: '0.4', budgetIds: [blocking.id] });
    const refused = await reserve('0.50');
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ type: 'urn:steward:problem:budget-exceeded', budget: { id: blocking.id, name: 'Hard cap' }, remainingUsd: '0.4' });
    // another model is outside the budget
    expect((await reserve('0.50', { model: 'other' })).status).toBe(201);
    // the call cost 0.20 (20 tokens): the hold of 0.60 is replaced by it, once
    const reservationId = (first.body as { reservationId: string }).reservationId;
    await ingest(20, { model: 'flat-rate', budgetReservationId: reservationId }, key.token);
    await spendIs(blocking.id, '0.2');
    const second = await waitFor('the hold committed', async () => {
      const answer = await reserve('0.80');
      return answer.status === 201 ? answer : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    expect(second.body).toMatchObject({ remainingUsd: '0' });
    // releasing gives the headroom back; releasing again changes nothing
    const secondId = (second.body as { reservationId: string }).reservationId;
    await client.expect(204, 'DELETE', `/v1/workspaces/${ws}/budget-reservations/${secondId}`, { token: key.token });
    await client.expect(204, 'DELETE', `/v1/workspaces/${ws}/budget-reservations/${secondId}`, { token: key.token });
    await client.expect(404, 'DELETE', `/v1/workspaces/${ws}/budget-reservations/nope-${randomUUID()}`, { token: key.token });
    // a hold that expires gives its headroom back by itself
    expect((await reserve('0.80', { ttlSeconds: 1 })).status).toBe(201);
    expect((await reserve('0.80')).status).toBe(402);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await reserve('0.80')).status).toBe(201);
  });
});
