import { canonicalTime, UsageRecorded, UsageStreams, usageEventIdFor, type Actor, type TraceContext, type UsageIngestBatch, type UsageRecordedData } from '@steward/contracts';
import type { AppendNewRequest, NewEvent } from '@steward/event-store';
import type { PricedUsage } from '@steward/usage-metering';

/** `api_key:<keyId>`, `user:<userId>`, `service:<name>` → the actor of the recorded events. */
export function actorOfBatch(actor: string | undefined): Actor {
  if (actor) {
    const colon = actor.indexOf(':');
    const type = colon > 0 ? actor.slice(0, colon) : '';
    const id = actor.slice(colon + 1);
    if ((type === 'api_key' || type === 'user' || type === 'service' || type === 'system') && id.length > 0) return { type, id };
    return { type: 'service', id: actor };
  }
  return { type: 'service', id: 'usage-ingest' };
}

export interface BatchToRecord {
  readonly batch: UsageIngestBatch;
  readonly organizationId: string;
  /** Priced events, `priced[i]` for `batch.events[i]`. */
  readonly priced: readonly PricedUsage[];
  /** The trace context the ingest message carried. */
  readonly traceContext?: TraceContext;
}

/**
 * The UsageRecorded events of priced batches, grouped by stream (one per workspace and UTC day of the
 * call), for `EventStore.appendNew`: event id `usageEventIdFor(workspace, source, id)` (the dedup key),
 * correlation id = the batch id. Pure: no I/O, no clock (times come from the batch).
 */
export function usageRecordedRequests(batches: readonly BatchToRecord[]): AppendNewRequest[] {
  const byStream = new Map<string, NewEvent[]>();
  for (const { batch, organizationId, priced, traceContext } of batches) {
    const receivedAt = new Date(batch.receivedAt).toISOString();
    const actor = actorOfBatch(batch.actor);
    const workspaceId = batch.workspaceId;
    const metadataBase = { correlationId: batch.batchId, actor, organizationId, workspaceId };
    const events = batch.events;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const { cost, pricing } = priced[i]!;
      const time = canonicalTime(event.time);
      const data: UsageRecordedData = {
        organizationId,
        workspaceId,
        usageId: event.id,
        source: event.source,
        time,
        agent: event.agent,
        provider: event.provider,
        model: event.model,
        inputTokens: event.inputTokens,
        outputTokens: event.outputTokens,
        cacheReadInputTokens: event.cacheReadInputTokens,
        cacheCreationInputTokens: event.cacheCreationInputTokens,
        reasoningOutputTokens: event.reasoningOutputTokens,
        responseTimeMs: event.responseTimeMs,
        status: event.status,
        cost,
        pricing,
        receivedAt,
        via: batch.via,
      };
      if (event.errorType !== undefined) data.errorType = event.errorType;
      if (event.jobId !== undefined) data.jobId = event.jobId;
      if (event.budgetReservationId !== undefined) data.budgetReservationId = event.budgetReservationId;
      const streamId = UsageStreams.usage(workspaceId, time);
      let streamEvents = byStream.get(streamId);
      if (!streamEvents) byStream.set(streamId, (streamEvents = []));
      const metadata: NewEvent['metadata'] = traceContext
        ? { ...metadataBase, traceContext, occurredAt: time }
        : { ...metadataBase, occurredAt: time };
      streamEvents.push({
        eventId: usageEventIdFor(workspaceId, event.source, event.id),
        type: UsageRecorded.type,
        version: UsageRecorded.version,
        data,
        metadata,
      });
    }
  }
  return [...byStream].map(([streamId, events]) => ({ streamId, events }));
}
