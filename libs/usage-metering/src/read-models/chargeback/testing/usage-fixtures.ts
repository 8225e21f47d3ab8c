import { randomUUID } from 'node:crypto';
import {
  UsageCorrected,
  UsageRecorded,
  UsageStreams,
  usageEventIdFor,
  type UsageCorrectedData,
  type UsagePricing,
  type UsageRecordedData,
} from '@steward/contracts';
import { comparePositions, type EventStore, type GlobalPosition, type NewEvent } from '@steward/event-store';

/** A UsageRecorded's data with defaults for what a test does not care about. */
export function recordedData(overrides: Partial<UsageRecordedData> & Pick<UsageRecordedData, 'organizationId' | 'workspaceId' | 'time'>): UsageRecordedData {
  const data: UsageRecordedData = {
    usageId: randomUUID(),
    source: 'test-agent-host',
    agent: 'agent-a',
    provider: 'openai',
    model: 'gpt-4o',
    inputTokens: 100,
    outputTokens: 50,
    cacheReadInputTokens: 0,
    cacheCreationInputTokens: 0,
    reasoningOutputTokens: 0,
    responseTimeMs: 200,
    status: 'success',
    cost: '0.001',
    pricing: { status: 'priced', source: 'catalogue', ref: 'test', unitPrices: { input: '0.000005', output: '0.00001' } },
    receivedAt: new Date().toISOString(),
    via: 'http',
    ...overrides,
  };
  return UsageRecorded.schema.parse(data);
}

/** The event the metering service appends for a call (id: usageEventIdFor, stream by UTC day of the call). */
export function usageRecordedEvent(data: UsageRecordedData): { streamId: string; event: NewEvent } {
  return {
    streamId: UsageStreams.usage(data.workspaceId, data.time),
    event: {
      eventId: usageEventIdFor(data.workspaceId, data.source, data.usageId),
      type: UsageRecorded.type,
      version: UsageRecorded.version,
      data,
      metadata: {
        correlationId: randomUUID(),
        actor: { type: 'service', id: 'usage-metering' },
        organizationId: data.organizationId,
        workspaceId: data.workspaceId,
        occurredAt: data.receivedAt,
      },
    },
  };
}

/** A re-rating of a recorded call to `cost` under `pricing`. */
export function usageCorrectedEvent(recorded: UsageRecordedData, previousCost: string, cost: string, delta: string, pricing: UsagePricing): { streamId: string; event: NewEvent } {
  const data: UsageCorrectedData = UsageCorrected.schema.parse({
    organizationId: recorded.organizationId,
    workspaceId: recorded.workspaceId,
    usageEventId: usageEventIdFor(recorded.workspaceId, recorded.source, recorded.usageId),
    usageId: recorded.usageId,
    source: recorded.source,
    time: recorded.time,
    agent: recorded.agent,
    provider: recorded.provider,
    model: recorded.model,
    previousCost,
    cost,
    delta,
    pricing,
    reason: 'price correction',
    correctedAt: new Date().toISOString(),
  });
  return {
    streamId: UsageStreams.usage(recorded.workspaceId, recorded.time),
    event: {
      eventId: randomUUID(),
      type: UsageCorrected.type,
      version: UsageCorrected.version,
      data,
      metadata: { correlationId: randomUUID(), actor: { type: 'service', id: 'usage-metering' }, organizationId: recorded.organizationId, workspaceId: recorded.workspaceId, occurredAt: data.correctedAt },
    },
  };
}

/** Appends events as the metering service would: grouped by stream, in one atomic appendMany. Returns the streams written. */
export async function appendUsage(store: EventStore, items: ReadonlyArray<{ streamId: string; event: NewEvent }>): Promise<string[]> {
  const byStream = new Map<string, NewEvent[]>();
  for (const item of items) {
    const list = byStream.get(item.streamId) ?? [];
    list.push(item.event);
    byStream.set(item.streamId, list);
  }
  await store.appendMany([...byStream].map(([streamId, events]) => ({ streamId, events, expectedRevision: 'any' as const })));
  return [...byStream.keys()];
}

/**
 * The position of the newest event of these streams: what a projection must
 * reach to have applied them (not `headPosition()`, which stops below any open
 * transaction, a projection's own batch included).
 */
export async function lastPositionOf(store: EventStore, streamIds: readonly string[]): Promise<GlobalPosition> {
  let last: GlobalPosition | undefined;
  for (const streamId of new Set(streamIds)) {
    const [event] = await store.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    if (event && (last === undefined || comparePositions(event.position, last) > 0)) last = event.position;
  }
  if (!last) throw new Error('no events in these streams');
  return last;
}
