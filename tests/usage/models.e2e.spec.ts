/**
 * Model settings over HTTP against the real processes (gateway, usage-metering,
 * projections, team-rbac, relay): prices per token or per 1M tokens with their
 * history, API keys only ever "Configured" / "Not Configured", validation naming
 * the field, admin only, the built-in catalogue, and a price correction that
 * re-rates calls already metered (UsageCorrected in the store, exact deltas).
 */
import { Decimal } from 'decimal.js';
import { PostgresEventStore } from '@steward/event-store';
import { UsageStreams, type UsageCorrectedData, type UsageRecordedData } from '@steward/contracts';
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';
import { Fixtures, GatewayClient } from '../gateway/support/gateway-client';

jest.setTimeout(180_000);

interface ModelView {
  provider: string;
  model: string;
  currentPrice: { unitPrices: Record<string, string>; unitPricesPerMillionTokens: Record<string, string>; effectiveFrom: string } | null;
  priceHistory: Array<{ unitPrices: Record<string, string>; effectiveFrom: string }>;
  apiKey: 'Configured' | 'Not Configured';
}

describe('model settings over HTTP', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;
  let fixtures: Fixtures;
  let store: PostgresEventStore;
  let modelsPath: string;
  const owner = (): string => stack.ownerToken;

  async function listModels(): Promise<ModelView[]> {
    return (await client.expect<{ items: ModelView[] }>(200, 'GET', modelsPath, { token: owner() })).items;
  }

  async function modelWhen(model: string, ready: (view: ModelView) => boolean): Promise<ModelView> {
    return waitFor(`${model} in the model settings read model`, async () => (await listModels()).find((view) => view.model === model && ready(view)));
  }

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env);
    client = new GatewayClient(stack.url);
    fixtures = new Fixtures(client);
    store = new PostgresEventStore({ pool: env.pool });
    modelsPath = `/v1/workspaces/${stack.workspaceId}/models`;
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
  });

  it('sets prices per 1M tokens, stores them per token exactly, and lists them with their history', async () => {
    expect(await listModels()).toEqual([]);
    const answer = await client.expect<{ pricing: { unitPrices: Record<string, string> }; changed: boolean }>(200, 'PUT', `${modelsPath}/OpenAI/gpt-4o`, {
      token: owner(),
      body: { pricesPerMillionTokens: { input: '2.5', output: '10', cacheRead: '1.25' }, effectiveFrom: '2026-01-01T00:00:00Z' },
    });
    expect(answer).toMatchObject({ changed: true, pricing: { unitPrices: { input: '0.0000025', output: '0.00001', cacheRead: '0.00000125' } } });
    const listed = await modelWhen('gpt-4o', (view) => view.currentPrice !== null);
    expect(listed).toMatchObject({
      provider: 'openai',
      apiKey: 'Not Configured',
      currentPrice: {
        unitPrices: { input: '0.0000025', output: '0.00001', cacheRead: '0.00000125' },
        unitPricesPerMillionTokens: { input: '2.5', output: '10', cacheRead: '1.25' },
        effectiveFrom: '2026-01-01T00:00:00.000Z',
      },
    });

    // a later price per token: the history keeps both, the current one is the latest in force
    await client.expect(200, 'PUT', `${modelsPath}/openai/gpt-4o`, {
      token: owner(),
      body: { unitPrices: { input: '0.000003', output: '0.000012' }, effectiveFrom: '2026-06-01T00:00:00Z' },
    });
    const updated = await modelWhen('gpt-4o', (view) => view.priceHistory.length === 2);
    expect(updated.currentPrice?.unitPrices).toEqual({ input: '0.000003', output: '0.000012' });
    expect(updated.priceHistory.map((price) => price.effectiveFrom)).toEqual(['2026-06-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
  });

  it('an API key is only ever "Configured" / "Not Configured": never returned, never in an event', async () => {
    const key = 'sk-live-E2EPLAINTEXTKEY-7f3a';
    const set = await client.call('PUT', `${modelsPath}/anthropic/claude-sonnet-4`, { token: owner(), body: { apiKey: key } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ apiKey: 'Configured', changed: true });
    expect(set.text).not.toContain('E2EPLAINTEXTKEY');
    const listed = await modelWhen('claude-sonnet-4', (view) => view.apiKey === 'Configured');
    expect(listed.currentPrice).toBeNull();
    const page = await client.call('GET', modelsPath, { token: owner() });
    expect(page.text).not.toContain('E2EPLAINTEXTKEY');
    expect(page.text).not.toContain('7f3a');
    const { rows } = await env.pool.query(`SELECT data::text AS data FROM steward_events.events WHERE data::text LIKE '%claude-sonnet-4%'`);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((row) => row.data).join('\n')).not.toContain('E2EPLAINTEXTKEY');
    const secrets = await env.pool.query(`SELECT ciphertext FROM steward_secrets.secrets`);
    expect(secrets.rows.length).toBe(1);
    expect(Buffer.from(secrets.rows[0].ciphertext).toString('latin1')).not.toContain('E2EPLAINTEXTKEY');

    const cleared = await client.expect(200, 'PUT', `${modelsPath}/anthropic/claude-sonnet-4`, { token: owner(), body: { apiKey: null } });
    expect(cleared).toMatchObject({ apiKey: 'Not Configured', changed: true });
    await modelWhen('claude-sonnet-4', (view) => view.apiKey === 'Not Configured');
    expect((await env.pool.query(`SELECT count(*)::int AS n FROM steward_secrets.secrets`)).rows[0].n).toBe(0);
    // clearing a key that is not set changes nothing
    expect(await client.expect(200, 'PUT', `${modelsPath}/anthropic/claude-sonnet-4`, { token: owner(), body: { apiKey: null } })).toMatchObject({ changed: false });
  });

  it('refuses bad prices and dates with a 400 naming the field, appending nothing', async () => {
    const { rows: before } = await env.pool.query(`SELECT count(*)::int AS n FROM steward_events.events`);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ unitPrices: { input: '-0.1', output: '1' } }, 'body.unitPrices.input'],
      [{ unitPrices: { input: '1e-6', output: '1' } }, 'body.unitPrices.input'],
      [{ unitPrices: { input: 0.000001, output: '1' } }, 'body.unitPrices.input'],
      [{ unitPrices: { input: '1', output: '1' }, pricesPerMillionTokens: { input: '1', output: '1' } }, 'body.pricesPerMillionTokens'],
      [{ pricesPerMillionTokens: { input: '1', output: '1' }, effectiveFrom: '2099-01-01T00:00:00Z' }, 'body.effectiveFrom'],
      [{ unitPrices: { input: '1', output: '1' }, effectiveFrom: new Date(Date.now() + 3_600_000).toISOString(), rerate: true }, 'body.effectiveFrom'],
      [{ rerate: true }, 'body.rerate'],
      [{}, 'body'],
      [{ apiKey: '' }, 'body.apiKey'],
    ];
    for (const [body, field] of cases) {
      const answer = await client.call('PUT', `${modelsPath}/openai/gpt-4o-mini`, { token: owner(), body });
      expect({ body, status: answer.status }).toEqual({ body, status: 400 });
      expect((answer.body as { errors: Array<{ field: string }> }).errors.map((error) => error.field)).toContain(field);
    }
    const { rows: after } = await env.pool.query(`SELECT count(*)::int AS n FROM steward_events.events`);
    expect(after[0].n).toBe(before[0].n);
  });

  it('is admin only: a member gets 403 Access Restricted on reads and writes', async () => {
    const member = await fixtures.newMember(owner(), stack.workspaceId, 'member', 'models-member');
    expect((await client.call('GET', modelsPath, { token: member.token })).status).toBe(403);
    expect((await client.call('PUT', `${modelsPath}/openai/gpt-4o`, { token: member.token, body: { unitPrices: { input: '0', output: '0' } } })).status).toBe(403);
    expect((await client.call('GET', '/v1/model-catalog', { token: member.token })).status).toBe(403);
  });

  it('lists the built-in catalogue with its attribution, searchable and paged', async () => {
    const page = await client.expect<{ attribution: string; items: Array<{ modelName: string; matchPattern: string; unitPrices: { input: string } }>; total: number; page: number; pageSize: number; pageCount: number }>(
      200,
      'GET',
      '/v1/model-catalog?q=gpt-4o&pageSize=2',
      { token: owner() },
    );
    expect(page.attribution).toMatch(/Langfuse/);
    expect(page.total).toBeGreaterThan(2);
    expect(page.items).toHaveLength(2);
    expect(page.pageCount).toBe(Math.ceil(page.total / 2));
    expect(page.items.every((item) => item.modelName.toLowerCase().includes('gpt-4o'))).toBe(true);
    const all = await client.expect<{ total: number }>(200, 'GET', '/v1/model-catalog', { token: owner() });
    expect(all.total).toBeGreaterThan(100);
  });

  it('a price correction re-rates calls already metered: UsageCorrected with the exact delta, once', async () => {
    const key = await fixtures.issueApiKey(owner(), stack.workspaceId, ['usage:write'], 'rerate agent');
    const time = new Date(Date.now() - 86_400_000).toISOString();
    await client.expect(202, 'POST', `/v1/workspaces/${stack.workspaceId}/usage`, {
      token: key.token,
      body: { events: [{ id: 'rerate-call-1', source: 'e2e', time, provider: 'mistral', model: 'e2e-model', inputTokens: 1_000_001, outputTokens: 333 }] },
    });
    const dayStream = UsageStreams.usage(stack.workspaceId, time);
    const recorded = await waitFor('the call metered', async () => (await store.readStream(dayStream)).find((event) => event.type === 'UsageRecorded'));
    expect((recorded.data as UsageRecordedData).pricing).toEqual({ status: 'unpriced' });
    // the model shows in the settings as seen in usage with no price
    const unpriced = await waitFor('the unpriced model listed', async () => {
      const page = await client.expect<{ unpricedModels: Array<{ provider: string; model: string; unpricedCalls: number; pricing: string }> }>(200, 'GET', modelsPath, { token: owner() });
      return page.unpricedModels.find((model) => model.model === 'e2e-model');
    });
    expect(unpriced).toEqual({ provider: 'mistral', model: 'e2e-model', unpricedCalls: 1, pricing: 'pricing not configured' });

    await client.expect(200, 'PUT', `${modelsPath}/mistral/e2e-model`, {
      token: owner(),
      body: { unitPrices: { input: '0.000000123456789', output: '0.000001000000000007' }, effectiveFrom: new Date(Date.now() - 2 * 86_400_000).toISOString(), rerate: true },
    });
    const correction = await waitFor('the call re-rated', async () => (await store.readStream(dayStream)).find((event) => event.type === 'UsageCorrected'));
    const data = correction.data as UsageCorrectedData;
    const expected = new Decimal(1_000_001).times('0.000000123456789').plus(new Decimal(333).times('0.000001000000000007'));
    expect(data.previousCost).toBe('0');
    expect(data.cost).toBe(expected.toFixed());
    expect(data.cost).toBe('0.123789912456791331');
    expect(data.delta).toBe(data.cost);
    await waitFor('the model priced, no longer listed as unpriced', async () => {
      const page = await client.expect<{ unpricedModels: Array<{ model: string }> }>(200, 'GET', modelsPath, { token: owner() });
      return page.unpricedModels.some((model) => model.model === 'e2e-model') ? undefined : true;
    });
    // the reactor's checkpoint moves on; nothing is corrected twice
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await store.readStream(dayStream)).filter((event) => event.type === 'UsageCorrected')).toHaveLength(1);
  });
});
