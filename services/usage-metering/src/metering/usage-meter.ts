import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import type { TraceContext, UsageIngestBatch } from '@steward/contracts';
import { EventStoreError, EventStoreErrorCode, type AppendNewRequest, type EventStore } from '@steward/event-store';
import { DeadLetterHeaders, natsNames, type MessagingLogger } from '@steward/messaging';
import type { Pricer } from '../pricing';
import type { MeteringMetrics } from './metering.metrics';
import { usageRecordedRequests, type BatchToRecord } from './usage-recorded.builder';
import type { WorkspaceOrganizations } from './workspace-organizations.repository';

export interface UsageMeterOptions {
  readonly store: Pick<EventStore, 'appendNew'>;
  readonly pricer: Pricer;
  readonly organizations: WorkspaceOrganizations;
  readonly metrics: MeteringMetrics;
  readonly js: JetStreamClient;
  /** NATS prefix ('' in production): dead letters go to `<p>dlq.<durable>`. */
  readonly prefix: string;
  readonly durable: string;
  /** Attempts before a batch whose workspace stays unknown is dead-lettered. */
  readonly unknownWorkspaceAttempts: number;
  /** Delay before a batch of an unknown workspace comes again. */
  readonly unknownWorkspaceRetryMs: number;
  /** At most this many events per appendNew (one transaction each). */
  readonly appendChunk: number;
  readonly logger: MessagingLogger;
}

/** What one group of ingest messages came to. */
export interface MeteredGroup {
  readonly recorded: number;
  readonly duplicates: number;
  readonly unpriced: number;
  /** Messages handed back (workspace unknown yet) or dead-lettered: not part of this group's append. */
  readonly setAside: number;
}

/**
 * Meters a group of ingest batches (the batch handler of the durable consumer): resolves each batch's
 * organization, prices every event, and appends the UsageRecorded events with `appendNew` — several
 * batches per transaction, the dedup by event id decided in that transaction — before the consumer acks
 * the messages. A crash anywhere before the ack redelivers the batches; their events are then duplicates.
 */
export class UsageMeter {
  private readonly deadLetterSubject: string;

  constructor(private readonly options: UsageMeterOptions) {
    this.deadLetterSubject = natsNames(options.prefix).deadLetterSubject(options.durable);
  }

  async meter(msgs: readonly JsMsg[], batches: readonly UsageIngestBatch[]): Promise<MeteredGroup> {
    const { organizations, pricer } = this.options;
    for (const batch of batches) if (batch.organizationId) organizations.remember(batch.workspaceId, batch.organizationId);
    const unresolved = batches.filter((batch) => !batch.organizationId).map((batch) => batch.workspaceId);
    const resolved = unresolved.length > 0 ? await organizations.organizationsOf(unresolved) : new Map<string, string>();

    const toRecord: BatchToRecord[] = [];
    const recordedMsgs: JsMsg[] = [];
    let setAside = 0;
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i]!;
      const msg = msgs[i]!;
      const organizationId = batch.organizationId ?? resolved.get(batch.workspaceId);
      if (!organizationId) {
        setAside += 1;
        await this.unknownWorkspace(msg, batch);
        continue;
      }
      const priced = await pricer.priceMany(batch.workspaceId, batch.events);
      const traceContext = traceContextOf(msg);
      toRecord.push({ batch, organizationId, priced, ...(traceContext ? { traceContext } : {}) });
      recordedMsgs.push(msg);
    }
    if (toRecord.length === 0) return { recorded: 0, duplicates: 0, unpriced: 0, setAside };

    let outcome: Omit<MeteredGroup, 'setAside'>;
    try {
      outcome = await this.append(toRecord);
    } catch (error) {
      if (!(error instanceof EventStoreError && error.code === EventStoreErrorCode.InvalidArgument)) throw error;
      // Data the database refuses (e.g. a NUL character in a text): find the batch, dead-letter it alone.
      outcome = { recorded: 0, duplicates: 0, unpriced: 0 };
      for (let i = 0; i < toRecord.length; i++) {
        try {
          const one = await this.append([toRecord[i]!]);
          outcome = { recorded: outcome.recorded + one.recorded, duplicates: outcome.duplicates + one.duplicates, unpriced: outcome.unpriced + one.unpriced };
        } catch (single) {
          if (!(single instanceof EventStoreError && single.code === EventStoreErrorCode.InvalidArgument)) throw single;
          setAside += 1;
          await this.deadLetter(recordedMsgs[i]!, `the event store refused the batch: ${single.message}`);
        }
      }
    }
    const { metrics } = this.options;
    if (outcome.recorded > 0) metrics.recorded.add(outcome.recorded);
    if (outcome.duplicates > 0) metrics.duplicates.add(outcome.duplicates);
    if (outcome.unpriced > 0) metrics.unpriced.add(outcome.unpriced);
    return { ...outcome, setAside };
  }

  /** Appends the UsageRecorded events of the batches, `appendChunk` events per transaction. */
  private async append(toRecord: readonly BatchToRecord[]): Promise<Omit<MeteredGroup, 'setAside'>> {
    const requests = usageRecordedRequests(toRecord);
    const unpricedIds = new Set<string>();
    let unpricedSent = 0;
    for (const request of requests) {
      for (const event of request.events) {
        if ((event.data as { pricing: { status: string } }).pricing.status !== 'unpriced') continue;
        unpricedIds.add(event.eventId);
        unpricedSent += 1;
      }
    }
    let recorded = 0;
    let duplicates = 0;
    let unpricedDuplicates = 0;
    for (const chunk of chunks(requests, this.options.appendChunk)) {
      const result = await this.options.store.appendNew(chunk);
      recorded += result.written;
      duplicates += result.duplicateEventIds.length;
      if (unpricedIds.size > 0) for (const id of result.duplicateEventIds) if (unpricedIds.has(id)) unpricedDuplicates += 1;
    }
    // Every copy of an id but the recorded one is reported as a duplicate: unpriced counts recorded events only.
    return { recorded, duplicates, unpriced: unpricedSent - unpricedDuplicates };
  }

  /** The workspace is not known (yet): hand the batch back for later, and dead-letter it after the last attempt. */
  private async unknownWorkspace(msg: JsMsg, batch: UsageIngestBatch): Promise<void> {
    const attempt = msg.info.deliveryCount;
    if (attempt < this.options.unknownWorkspaceAttempts) {
      msg.nak(this.options.unknownWorkspaceRetryMs);
      return;
    }
    await this.deadLetter(msg, `workspace ${batch.workspaceId} is unknown (no organization found after ${attempt} attempts)`);
  }

  private async deadLetter(msg: JsMsg, reason: string): Promise<void> {
    const headers = natsHeaders();
    if (msg.headers) {
      for (const [key, values] of msg.headers) {
        if (key.toLowerCase().startsWith('nats-')) continue;
        for (const value of values) headers.append(key, value);
      }
    }
    headers.set(DeadLetterHeaders.Reason, reason);
    headers.set(DeadLetterHeaders.Subject, msg.subject);
    headers.set(DeadLetterHeaders.Stream, msg.info.stream);
    headers.set(DeadLetterHeaders.StreamSequence, String(msg.info.streamSequence));
    headers.set(DeadLetterHeaders.DeliveryCount, String(msg.info.deliveryCount));
    headers.set(DeadLetterHeaders.Consumer, this.options.durable);
    headers.set(DeadLetterHeaders.FailedAt, new Date().toISOString());
    try {
      await this.options.js.publish(this.deadLetterSubject, msg.data, {
        msgID: `${msg.info.stream}.${msg.info.streamSequence}.${this.options.durable}`,
        headers,
      });
    } catch (error) {
      this.options.logger.error({ err: String(error), streamSequence: msg.info.streamSequence }, 'dead-lettering failed; the batch comes again');
      msg.nak(this.options.unknownWorkspaceRetryMs);
      return;
    }
    this.options.metrics.deadLettered.add(1);
    this.options.logger.warn({ subject: msg.subject, streamSequence: msg.info.streamSequence, reason }, 'usage batch dead-lettered');
    msg.term();
  }
}

/** W3C trace context from the ingest message's headers, if it carried one. */
function traceContextOf(msg: JsMsg): TraceContext | undefined {
  const traceparent = msg.headers?.get('traceparent');
  if (!traceparent || traceparent.length > 128) return undefined;
  const tracestate = msg.headers?.get('tracestate');
  return tracestate && tracestate.length <= 512 ? { traceparent, tracestate } : { traceparent };
}

/** Requests cut into groups of at most `size` events (a stream's events may be split over groups). */
export function* chunks(requests: readonly AppendNewRequest[], size: number): Generator<AppendNewRequest[]> {
  let current: AppendNewRequest[] = [];
  let count = 0;
  for (const request of requests) {
    let offset = 0;
    while (offset < request.events.length) {
      const take = Math.min(size - count, request.events.length - offset);
      current.push(offset === 0 && take === request.events.length ? request : { streamId: request.streamId, events: request.events.slice(offset, offset + take) });
      offset += take;
      count += take;
      if (count >= size) {
        yield current;
        current = [];
        count = 0;
      }
    }
  }
  if (current.length > 0) yield current;
}
