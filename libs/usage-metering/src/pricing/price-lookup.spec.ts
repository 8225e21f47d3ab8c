import { Pricer, type WorkspacePriceLookup } from './price-lookup';

const call = {
  provider: 'openai',
  model: 'gpt-4o',
  time: '2026-03-01T10:00:00.000Z',
  inputTokens: 1000,
  outputTokens: 500,
  cacheReadInputTokens: 400,
  cacheCreationInputTokens: 0,
  reasoningOutputTokens: 0,
};

describe('Pricer', () => {
  it('prices with the workspace’s own price in force at the call’s time', async () => {
    const asked: unknown[] = [];
    const lookup: WorkspacePriceLookup = {
      find: async (workspaceId, provider, model, at) => {
        asked.push([workspaceId, provider, model, at.toISOString()]);
        return { unitPrices: { input: '0.000001', output: '0.000002' }, ref: '2026-01-01T00:00:00.000Z' };
      },
    };
    const priced = await new Pricer(lookup).price('ws-1', call);
    expect(asked).toEqual([['ws-1', 'openai', 'gpt-4o', '2026-03-01T10:00:00.000Z']]);
    // 1,000 input tokens (cache reads fall back to the input price) × 1e-6 + 500 × 2e-6
    expect(priced).toEqual({
      cost: '0.002',
      pricing: { status: 'priced', source: 'workspace', ref: '2026-01-01T00:00:00.000Z', unitPrices: { input: '0.000001', output: '0.000002' } },
    });
  });

  it('falls back to the built-in catalogue', async () => {
    const priced = await new Pricer().price('ws-1', call);
    expect(priced.cost).toBe('0.007');
    expect(priced.pricing).toMatchObject({ status: 'priced', source: 'catalogue' });
  });

  it('marks a model without any price unpriced, at cost 0', async () => {
    const priced = await new Pricer().price('ws-1', { ...call, provider: 'acme', model: 'acme-llm-1' });
    expect(priced).toEqual({ cost: '0', pricing: { status: 'unpriced' } });
  });

  it('prices many calls of a workspace from one snapshot of its prices when the lookup offers one', async () => {
    let snapshots = 0;
    const lookup: WorkspacePriceLookup = {
      find: () => Promise.reject(new Error('find must not be called when a snapshot is offered')),
      snapshot: async () => {
        snapshots += 1;
        return {
          find: (_provider, model, at) =>
            model === 'own-model' && at >= new Date('2026-02-01T00:00:00Z') ? { unitPrices: { input: '0.5', output: '1' }, ref: '2026-02-01T00:00:00.000Z' } : undefined,
        };
      },
    };
    const priced = await new Pricer(lookup).priceMany('ws-1', [
      { ...call, model: 'own-model', inputTokens: 2, cacheReadInputTokens: 0, outputTokens: 3 },
      { ...call, model: 'own-model', time: '2026-01-01T00:00:00.000Z' },
      call,
    ]);
    expect(snapshots).toBe(1);
    expect(priced.map((p) => [p.cost, p.pricing.status === 'priced' ? p.pricing.source : 'unpriced'])).toEqual([
      ['4', 'workspace'],
      ['0', 'unpriced'],
      ['0.007', 'catalogue'],
    ]);
  });

  it('prices many calls with find per call when the lookup has no snapshot', async () => {
    const lookup: WorkspacePriceLookup = { find: async (_ws, _p, model) => (model === 'gpt-4o' ? { unitPrices: { input: '0', output: '0' }, ref: 'free' } : undefined) };
    const priced = await new Pricer(lookup).priceMany('ws-1', [call, { ...call, model: 'gpt-4o-mini' }]);
    expect(priced[0]).toEqual({ cost: '0', pricing: { status: 'priced', source: 'workspace', ref: 'free', unitPrices: { input: '0', output: '0' } } });
    expect(priced[1]!.pricing).toMatchObject({ status: 'priced', source: 'catalogue' });
  });
});
