import { EMPTY_TOTALS, type ModelTotals, type UsageTotals } from './chargeback.repository';
import { costShares, modelUsage, usageSummary } from './usage-figures';

const totals = (over: Partial<UsageTotals>): UsageTotals => ({ ...EMPTY_TOTALS, ...over });
const model = (name: string, over: Partial<UsageTotals>): ModelTotals => ({ provider: 'openai', model: name, ...totals(over) });

describe('usageSummary', () => {
  it('derives success rate, average response time and cost per token from the sums', () => {
    const summary = usageSummary(
      totals({ calls: 28, errors: 1, unpricedCalls: 1, inputTokens: 2800, outputTokens: 1400, cacheReadTokens: 300, reasoningTokens: 50, cost: '0.325', latencySumMs: 5600, latencyCount: 28 }),
    );
    expect(summary).toEqual({
      totalCost: '0.325',
      calls: 28,
      errors: 1,
      tokens: { total: 4200, input: 2800, output: 1400, cacheRead: 300, cacheCreation: 0, reasoningOutput: 50 },
      averageResponseTimeMs: 200,
      successRate: 96.43,
      costPerToken: '0.000077380952381',
      unpricedCalls: 1,
      pricingConfigured: false,
    });
  });

  it('answers null for every ratio over no calls', () => {
    expect(usageSummary(EMPTY_TOTALS)).toEqual({
      totalCost: '0',
      calls: 0,
      errors: 0,
      tokens: { total: 0, input: 0, output: 0, cacheRead: 0, cacheCreation: 0, reasoningOutput: 0 },
      averageResponseTimeMs: null,
      successRate: null,
      costPerToken: null,
      unpricedCalls: 0,
      pricingConfigured: true,
    });
  });

  it('a free range costs "0" per token; calls without a timing have no average', () => {
    expect(usageSummary(totals({ calls: 5, inputTokens: 100, cost: '0' }))).toMatchObject({ costPerToken: '0', successRate: 100, averageResponseTimeMs: null });
  });

  it('rounds ratios to two decimals and cost per token to 12 significant digits, half up', () => {
    expect(usageSummary(totals({ calls: 3, errors: 2, inputTokens: 2, outputTokens: 1, cost: '2', latencySumMs: 2, latencyCount: 3 }))).toMatchObject({
      successRate: 33.33,
      averageResponseTimeMs: 0.67,
      costPerToken: '0.666666666667',
    });
    // rounded once: …0124999999999|5 stays …012 (a quotient rounded first to fewer digits would become …013)
    expect(usageSummary(totals({ calls: 3, errors: 1, inputTokens: 1, cost: '0.1234567890124999999995', latencySumMs: 1000, latencyCount: 3 }))).toMatchObject({
      successRate: 66.67,
      averageResponseTimeMs: 333.33,
      costPerToken: '0.123456789012',
    });
  });
});

describe('costShares', () => {
  it('gives each model its percent of the total, in the order given; a model costing nothing has share 0', () => {
    expect(costShares([model('gpt-4o', { calls: 26, cost: '5.125' }), model('claude-x', { calls: 2, cost: '0.2' }), model('mystery', { calls: 1, cost: '0' })])).toEqual({
      totalCost: '5.325',
      models: [
        { provider: 'openai', model: 'gpt-4o', cost: '5.125', share: 96.24, calls: 26 },
        { provider: 'openai', model: 'claude-x', cost: '0.2', share: 3.76, calls: 2 },
        { provider: 'openai', model: 'mystery', cost: '0', share: 0, calls: 1 },
      ],
    });
    expect(costShares([model('a', { cost: '2' }), model('b', { cost: '1' })]).models.map((share) => share.share)).toEqual([66.67, 33.33]);
  });

  it('answers a zero total (only unpriced calls, or none) with shares of 0', () => {
    expect(costShares([model('mystery', { calls: 4, cost: '0' })])).toEqual({ totalCost: '0', models: [{ provider: 'openai', model: 'mystery', cost: '0', share: 0, calls: 4 }] });
    expect(costShares([])).toEqual({ totalCost: '0', models: [] });
  });

  it('sums the total exactly, however many digits the costs have', () => {
    const shares = costShares([model('a', { cost: '1' }), model('b', { cost: '0.123456789012345678951' })]);
    expect(shares).toMatchObject({ totalCost: '1.123456789012345678951', models: [{ share: 89.01 }, { share: 10.99 }] });
  });
});

describe('modelUsage', () => {
  it('adds token figures and the average response time to a model’s sums', () => {
    expect(modelUsage(model('gpt-4o', { calls: 2, errors: 1, unpricedCalls: 0, inputTokens: 30, outputTokens: 12, reasoningTokens: 2, cost: '0.01', latencySumMs: 301, latencyCount: 2 }))).toEqual({
      provider: 'openai',
      model: 'gpt-4o',
      calls: 2,
      errors: 1,
      unpricedCalls: 0,
      tokens: { total: 42, input: 30, output: 12, cacheRead: 0, cacheCreation: 0, reasoningOutput: 2 },
      cost: '0.01',
      averageResponseTimeMs: 150.5,
    });
    expect(modelUsage(model('silent', { calls: 0, cost: '0.5' })).averageResponseTimeMs).toBeNull();
  });
});
