import { validateUsageItems } from './usage-items.validation';

const valid = { id: 'c1', source: 'agent', time: '2026-11-22T00:00:00Z', provider: 'OpenAI', model: 'gpt-4o', inputTokens: 10, outputTokens: 5 };

describe('usage batch items, judged one by one', () => {
  it('accepts the valid ones with defaults, refuses each invalid one with its index and fields', () => {
    const verdict = validateUsageItems(
      [valid, { ...valid, id: 'c2', inputTokens: -1 }, 'not an event', { ...valid, id: 'c3', extra: true, cacheReadInputTokens: 99 }],
      'body.events',
    );
    expect(verdict.valid).toEqual([expect.objectContaining({ id: 'c1', provider: 'openai', agent: 'unassigned', status: 'success', reasoningOutputTokens: 0 })]);
    expect(verdict.rejected).toBe(3);
    expect(verdict.errors).toEqual(
      expect.arrayContaining([
        { index: 1, field: 'body.events.1.inputTokens', reason: expect.any(String) },
        { index: 2, field: 'body.events.2', reason: expect.any(String) },
        { index: 3, field: 'body.events.3.extra', reason: 'unknown field' },
      ]),
    );
  });
});
