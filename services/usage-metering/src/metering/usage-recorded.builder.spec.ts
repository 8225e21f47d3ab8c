import { canonicalTime, UsageIngestBatchSchema, UsageRecorded, UsageStreams, usageEventIdFor } from '@steward/contracts';
import { actorOfBatch, usageRecordedRequests } from './usage-recorded.builder';
import { chunks } from './usage-meter';
import { decodeUsageBatch } from './usage-batch.codec';
import { MeteringError } from './metering.error';

const batch = UsageIngestBatchSchema.parse({
  batchId: 'batch-1',
  workspaceId: 'ws-1',
  receivedAt: '2026-03-02T01:00:00+01:00',
  via: 'cloudevents',
  actor: 'user:u-9',
  events: [
    { id: 'a', source: 'sdk', time: '2026-03-01T23:00:00Z', provider: 'OpenAI', model: 'gpt-4o', inputTokens: 10, outputTokens: 5 },
    { id: 'b', source: 'sdk', time: '2026-03-02T00:00:00.5+00:00', provider: 'acme', model: 'x', budgetReservationId: 'r-1' },
    { id: 'c', source: 'other', time: '2026-03-01T12:00:00Z', provider: 'acme', model: 'x' },
  ],
});
const priced = [
  { cost: '0.0000750', pricing: { status: 'priced' as const, source: 'catalogue' as const, ref: 'cat-1', unitPrices: { input: '0.0000025', output: '0.00001' } } },
  { cost: '0', pricing: { status: 'unpriced' as const } },
  { cost: '0', pricing: { status: 'unpriced' as const } },
];

describe('usageRecordedRequests', () => {
  const requests = usageRecordedRequests([{ batch, organizationId: 'org-1', priced, traceContext: { traceparent: '00-abc-def-01' } }]);

  it('groups the calls by workspace and UTC day of the call', () => {
    expect(requests.map((r) => [r.streamId, r.events.map((e) => (e.data as { usageId: string }).usageId)])).toEqual([
      ['usage-ws-1-20260301', ['a', 'c']],
      ['usage-ws-1-20260302', ['b']],
    ]);
  });

  it('builds valid UsageRecorded v1 events keyed by (workspace, source, id)', () => {
    const events = requests.flatMap((r) => r.events);
    for (const event of events) {
      const data = UsageRecorded.schema.parse(event.data);
      expect(event).toMatchObject({ type: 'UsageRecorded', version: 1, eventId: usageEventIdFor('ws-1', data.source, data.usageId) });
      expect(event.metadata).toEqual({
        correlationId: 'batch-1',
        actor: { type: 'user', id: 'u-9' },
        organizationId: 'org-1',
        workspaceId: 'ws-1',
        traceContext: { traceparent: '00-abc-def-01' },
        occurredAt: data.time,
      });
    }
    expect(events[0]!.data).toMatchObject({ provider: 'openai', agent: 'unassigned', receivedAt: '2026-03-02T00:00:00.000Z', via: 'cloudevents', cost: '0.0000750' });
    expect(events[2]!.data).toMatchObject({ time: '2026-03-02T00:00:00.500Z', budgetReservationId: 'r-1', pricing: { status: 'unpriced' } });
    expect(events[0]!.data).not.toHaveProperty('jobId');
  });

  it('names the actor of the batch', () => {
    expect(actorOfBatch('api_key:k-1')).toEqual({ type: 'api_key', id: 'k-1' });
    expect(actorOfBatch('service:billing')).toEqual({ type: 'service', id: 'billing' });
    expect(actorOfBatch('robot')).toEqual({ type: 'service', id: 'robot' });
    expect(actorOfBatch(undefined)).toEqual({ type: 'service', id: 'usage-ingest' });
  });
});

describe('canonical times and day streams', () => {
  it.each(['2026-03-01T23:59:59.999Z', '2026-03-01T23:59:59Z', '2026-03-02T01:30:00+02:00', '2026-03-01T20:00:00.123456-05:30', '2024-02-29T00:00:00.000Z'])(
    '%s: the same instant and the same stream as UsageStreams.usage',
    (time) => {
      const canonical = canonicalTime(time);
      expect(canonical).toBe(new Date(time).toISOString());
      expect(UsageStreams.usage('ws-1', canonical)).toBe(UsageStreams.usage('ws-1', new Date(time)));
    },
  );
});

describe('chunks', () => {
  it('cuts requests into groups of at most n events, splitting a stream where needed', () => {
    const request = (streamId: string, n: number) => ({ streamId, events: Array.from({ length: n }, (_, i) => ({ eventId: `${streamId}-${i}` }) as never) });
    const cut = [...chunks([request('a', 3), request('b', 4), request('c', 1)], 3)];
    expect(cut.map((group) => group.map((r) => `${r.streamId}:${r.events.length}`))).toEqual([['a:3'], ['b:3'], ['b:1', 'c:1']]);
  });
});

describe('decodeUsageBatch', () => {
  const encode = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

  it('answers the validated batch', () => {
    expect(decodeUsageBatch(encode({ ...batch, events: [batch.events[0]] })).events[0]).toMatchObject({ provider: 'openai', agent: 'unassigned' });
  });

  it('names the fields at fault', () => {
    const bad = { ...batch, events: [{ ...batch.events[0], outputTokens: 1, reasoningOutputTokens: 2 }], extra: 1 };
    expect(() => decodeUsageBatch(encode(bad))).toThrow(MeteringError);
    expect(() => decodeUsageBatch(encode(bad))).toThrow(/events\.0\.reasoningOutputTokens/);
    expect(() => decodeUsageBatch(encode('nope'))).toThrow(/not JSON/);
  });
});
