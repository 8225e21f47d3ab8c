import { UsageEventSchema } from './usage-fields';
import { safeParseUsageEvent, safeParseUsageIngestBatch } from './usage-event.fast-parse';
import { UsageIngestBatchSchema } from './usage-ingest';

const base = { id: 'call-1', source: 'agent', time: '2026-11-22T10:00:00.123+05:30', provider: 'OpenAI', model: 'gpt-4o' };

/** Items around every rule of the schema: valid, valid after trimming, and invalid ones. */
const variants: unknown[] = [
  base,
  { ...base, agent: 'researcher', inputTokens: 1200, outputTokens: 300, cacheReadInputTokens: 1000, cacheCreationInputTokens: 200, reasoningOutputTokens: 300 },
  { ...base, status: 'error', errorType: 'rate_limit', jobId: 'job-1', budgetReservationId: 'res-1', responseTimeMs: 86_400_000 },
  { ...base, id: ' padded ' },
  { ...base, provider: ' Anthropic' },
  { ...base, id: '' },
  { ...base, id: 'x'.repeat(256) },
  { ...base, id: 'x'.repeat(257) },
  { ...base, model: 'm'.repeat(201) },
  { ...base, time: '2026-11-22T10:00:00' },
  { ...base, time: '2026-11-22T10:00:00Z' },
  { ...base, time: 'yesterday' },
  { ...base, time: 1_700_000_000 },
  { ...base, inputTokens: -1 },
  { ...base, inputTokens: 1.5 },
  { ...base, inputTokens: 1e9 },
  { ...base, inputTokens: 1e9 + 1 },
  { ...base, inputTokens: '12' },
  { ...base, inputTokens: 10, cacheReadInputTokens: 6, cacheCreationInputTokens: 5 },
  { ...base, outputTokens: 10, reasoningOutputTokens: 11 },
  { ...base, responseTimeMs: 86_400_001 },
  { ...base, status: 'failed' },
  { ...base, agent: '' },
  { ...base, errorType: '  ' },
  { ...base, extra: 1 },
  { ...base, __proto__: { polluted: true } },
  JSON.parse('{"id":"a","source":"b","time":"2026-11-22T10:00:00Z","provider":"p","model":"m","__proto__":{"x":1}}'),
  { source: 'agent', time: base.time, provider: 'p', model: 'm' },
  null,
  [base],
  'call',
];

describe('safeParseUsageEvent: UsageEventSchema, faster', () => {
  it.each(variants.map((variant, index) => [index, variant]))('variant %i answers as UsageEventSchema.safeParse', (_index, variant) => {
    const expected = UsageEventSchema.safeParse(variant);
    const actual = safeParseUsageEvent(variant);
    expect(actual.success).toBe(expected.success);
    if (expected.success && actual.success) expect(actual.data).toStrictEqual(expected.data);
    if (!expected.success && !actual.success) expect(actual.error.issues).toEqual(expected.error.issues);
  });
});

describe('safeParseUsageIngestBatch: UsageIngestBatchSchema, faster', () => {
  const batch = { batchId: 'b-1', workspaceId: 'ws_1', organizationId: 'org_1', receivedAt: '2026-11-22T10:00:00Z', via: 'nats', actor: 'service:x', events: [base, { ...base, id: 'call-2' }] };
  const batches: unknown[] = [
    batch,
    { ...batch, organizationId: undefined, actor: undefined },
    { ...batch, events: [] },
    { ...batch, events: [base, { ...base, inputTokens: -1 }] },
    { ...batch, events: [{ ...base, id: ' trimmed ' }] },
    { ...batch, via: 'carrier-pigeon' },
    { ...batch, unknown: true },
    { ...batch, events: 'none' },
    42,
  ];
  it.each(batches.map((variant, index) => [index, variant]))('batch %i answers as UsageIngestBatchSchema.safeParse', (_index, variant) => {
    const expected = UsageIngestBatchSchema.safeParse(variant);
    const actual = safeParseUsageIngestBatch(variant);
    expect(actual.success).toBe(expected.success);
    if (expected.success && actual.success) expect(actual.data).toStrictEqual(expected.data);
    if (!expected.success && !actual.success) expect(actual.error.issues).toEqual(expected.error.issues);
  });
});
