import { UsageStatementSchema, UsageSummarySchema } from './usage-views.schema';

/** Token sums beyond 2^53 (a tenant's own huge usage) must still leave the gateway: a refused answer is a 500. */
describe('usage answers with token sums past 2^53', () => {
  const huge = 2 ** 60;
  const summary = {
    workspaceIds: ['ws_1'],
    from: '2026-11-01T00:00:00.000Z',
    to: '2026-12-01T00:00:00.000Z',
    timeZone: 'UTC',
    totalCost: '12.5',
    calls: 10_000,
    errors: 0,
    tokens: { total: huge, input: huge / 2, output: huge / 2, cacheRead: 0, cacheCreation: 0, reasoningOutput: 0 },
    averageResponseTimeMs: 120,
    successRate: 100,
    costPerToken: '0',
    unpricedCalls: 0,
    pricingConfigured: true,
  };

  it('the summary takes them', () => {
    expect(UsageSummarySchema.parse(summary).tokens.total).toBe(huge);
  });

  it('a statement line takes them', () => {
    const line = { tokenType: 'input', quantity: huge, unitPrice: '0.000001', unitPriceCredits: '0.001', totalUsd: '1152921504606.846976', totalCredits: '1152921504606846.976' };
    const group = { jobId: null, provider: 'openai', model: 'gpt-4o', priced: true, calls: 1, lines: [line], totalUsd: line.totalUsd, totalCredits: line.totalCredits };
    const statement = { workspaceIds: ['ws_1'], month: '2026-11', creditsPerUsd: '1000', models: [group], jobs: [], calls: 1, unpricedCalls: 0, totalUsd: line.totalUsd, totalCredits: line.totalCredits };
    expect(UsageStatementSchema.parse(statement).models[0]!.lines[0]!.quantity).toBe(huge);
  });

  it('a negative sum is still a fault', () => {
    expect(UsageSummarySchema.safeParse({ ...summary, tokens: { ...summary.tokens, total: -1 } }).success).toBe(false);
  });
});
