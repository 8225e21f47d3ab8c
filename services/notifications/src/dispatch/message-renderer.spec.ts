import { emailContent, renderMessage, slackBody } from './message-renderer';

describe('message rendering', () => {
  it('renders a budget threshold from the fields the budgets context promises', () => {
    const message = renderMessage({
      type: 'BudgetThresholdCrossed',
      timestamp: '2026-12-01T10:00:00.000Z',
      data: {
        budgetId: 'bud_1',
        organizationId: 'org_1',
        workspaceId: 'ws_1',
        budgetName: 'Research',
        period: { start: '2026-12-01T00:00:00.000Z', end: '2027-01-01T00:00:00.000Z', label: 'December 2026' },
        thresholdPercent: 80,
        limitUsd: '500.00',
        spendUsd: '412.50',
        enforcement: 'alert',
        crossedAt: '2026-12-01T10:00:00.000Z',
      },
    });
    expect(message.title).toBe('Budget "Research" crossed 80 %');
    expect(message.text).toBe('Spend is 412.50 USD of a 500.00 USD limit for December 2026 (enforcement: alert).');
  });

  it('falls back to a generic message for a type without a renderer', () => {
    expect(renderMessage({ type: 'SomethingNew', timestamp: '2026-12-01T10:00:00.000Z', data: { a: 1, nested: { b: 2 } } })).toEqual({
      title: 'SomethingNew',
      text: 'SomethingNew happened.',
      fields: [['a', '1']],
    });
  });

  it('gives Slack a text fallback and blocks, and email a subject', () => {
    const payload = { type: 'LowCreditBalanceReached', timestamp: '2026-12-01T10:00:00.000Z', data: { balance: '9.5', threshold: '10', reachedAt: '2026-12-01T10:00:00.000Z' } };
    expect(slackBody(payload).text).toBe('Credit balance is low: The credit balance is 9.5, at or below the alert threshold of 10.');
    expect(slackBody(payload).blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Credit balance is low' } });
    expect(emailContent(payload).subject).toBe('[Steward] Credit balance is low');
    expect(emailContent(payload).text).toContain('Balance: 9.5');
  });
});
