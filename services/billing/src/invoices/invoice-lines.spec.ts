import { invoiceContent, usageDifferences, type UsageFigures } from './invoice-lines';

const prices = { input: '0.0000025', cacheRead: '0.00000125', cacheCreation: '0.0000025', output: '0.00001', reasoning: '0.00001' };
const usage = (over: Partial<UsageFigures> = {}): UsageFigures => ({
  workspaceId: 'ws_a',
  provider: 'openai',
  model: 'gpt-4o',
  priceKey: '0.0000025|0.00000125|0.0000025|0.00001|0.00001',
  prices,
  calls: '3',
  inputTokens: '1000',
  cacheReadTokens: '200',
  cacheCreationTokens: '0',
  outputTokens: '500',
  reasoningTokens: '0',
  // 1000 × 0.0000025 + 200 × 0.00000125 + 500 × 0.00001 = 0.0025 + 0.00025 + 0.005
  cost: '0.00775',
  ...over,
});

describe('invoice lines', () => {
  it('plan fee, proration as its own line, usage with quantities and unit prices, credits applied, totals exact', () => {
    const content = invoiceContent({
      creditsPerUsd: '100',
      planFee: { planId: 'standard', planName: 'Standard', feeUsd: '49', from: '2026-03-01T08:00:00.000Z', to: '2026-04-01T07:00:00.000Z' },
      prorations: [
        { fromPlanId: 'standard', toPlanId: 'premium', toPlanName: 'Premium', feeUsd: '77.42', effectiveAt: '2026-03-20T07:00:00.000Z', periodEnd: '2026-04-01T07:00:00.000Z', remainingDays: 12, periodDays: 31 },
      ],
      usage: [usage(), usage({ workspaceId: 'ws_b', calls: '1', inputTokens: '3', cacheReadTokens: '0', outputTokens: '0', cost: '0.0000075' })],
      adjustments: [],
      creditsDrawn: '0.5',
      creditsAppliedThrough: 12,
    });
    expect(content.lines.map((line) => [line.kind, line.amountUsd, line.amountCredits])).toEqual([
      ['plan_fee', '49', '4900'],
      ['proration', '77.42', '7742'],
      ['usage', '0.00775', '0.775'],
      ['usage', '0.0000075', '0.00075'],
      ['credits_applied', '-0.005', '-0.5'],
    ]);
    expect(content.lines[2]!.items).toEqual([
      { tokenType: 'input', quantity: '1000', unitPriceUsd: '0.0000025', amountUsd: '0.0025' },
      { tokenType: 'cacheRead', quantity: '200', unitPriceUsd: '0.00000125', amountUsd: '0.00025' },
      { tokenType: 'output', quantity: '500', unitPriceUsd: '0.00001', amountUsd: '0.005' },
    ]);
    // 49 + 77.42 + 0.00775 + 0.0000075 = 126.4277575; − 0.005 = 126.4227575 → 126.42
    expect(content.totals).toEqual({
      subtotalUsd: '126.4277575',
      subtotalCredits: '12642.77575',
      creditsApplied: '0.5',
      creditsAppliedUsd: '0.005',
      totalDueUsd: '126.42',
      totalDueCredits: '12642.27575',
    });
    expect(content.creditsAppliedThrough).toBe(12);
  });

  it('credits beyond what the invoice bills leave nothing due, never a negative amount', () => {
    const content = invoiceContent({ creditsPerUsd: '100', planFee: null, prorations: [], usage: [usage()], adjustments: [], creditsDrawn: '5', creditsAppliedThrough: 1 });
    expect(content.totals.totalDueUsd).toBe('0.00');
    expect(content.totals.totalDueCredits).toBe('0');
  });

  it('an adjustment line is the difference between usage now and what was billed, per line', () => {
    const billed = [usage(), usage({ model: 'gpt-4o-mini', cost: '0.001' })];
    const now = [usage({ calls: '4', inputTokens: '1500', cost: '0.00900' }), usage({ model: 'gpt-4o-mini', cost: '0.001' }), usage({ workspaceId: 'ws_c', cost: '0.2' })];
    const differences = usageDifferences(now, billed);
    expect(differences.map((d) => [d.workspaceId, d.model, d.calls, d.inputTokens, d.cost])).toEqual([
      ['ws_a', 'gpt-4o', '1', '500', '0.00125'],
      ['ws_c', 'gpt-4o', '3', '1000', '0.2'],
    ]);
    const content = invoiceContent({
      creditsPerUsd: '100',
      planFee: null,
      prorations: [],
      usage: [],
      adjustments: differences.map((delta) => ({ period: '2026-02', delta })),
      creditsDrawn: '0',
      creditsAppliedThrough: 0,
    });
    expect(content.lines.map((line) => [line.kind, line.adjustsPeriod, line.amountUsd])).toEqual([
      ['adjustment', '2026-02', '0.00125'],
      ['adjustment', '2026-02', '0.2'],
    ]);
    expect(content.totals.subtotalUsd).toBe('0.20125');
  });

  it('a correction that lowered an issued period’s cost is a negative adjustment', () => {
    const [difference] = usageDifferences([usage({ cost: '0.005' })], [usage()]);
    expect(difference!.cost).toBe('-0.00275');
    expect(difference!.calls).toBe('0');
  });
});
