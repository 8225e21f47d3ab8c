import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/nats-core';
import type { TraceContext, UsageIngestBatch } from '@steward/contracts';
import { EventStoreError, EventStoreErrorCode, type AppendNewRequest, type EventStore } from '@steward/event-store';
import { DeadLetterHeaders, deadLetterHeaders, natsNames, type MessagingLogger } from '@steward/messaging';
import type { WorkspaceOrganizations } from '@steward/team-rbac';
import type { Pricer } from '@steward/usage-metering';
import type { MeteringMetrics } from './metering.metrics';
import type { DecodedUsageBatch, InvalidMember } from './usage-batch.codec';
import { usageRecordedRequests, type BatchToRecord } from './usage-recorded.builder';

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

  async meter(msgs: readonly JsMsg[], batches: readonly DecodedUsageBatch[]): Promise<MeteredGroup> {
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
      if (batch.invalid?.length) await this.deadLetterInvalid(msg, batch, batch.invalid);
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
      if (!refusedByStore(error)) throw error;
      // Data the database refuses (e.g. a NUL character in a text): every other event is recorded, and only
      // the refused ones are dead-lettered, found by halving each batch until the store takes every part.
      outcome = NOTHING;
      for (let i = 0; i < toRecord.length; i++) {
        const item = toRecord[i]!;
        const split = await this.recordMembers(item, item.batch.events.map((_, index) => index));
        outcome = sum(outcome, split.outcome);
        if (split.refused.length === 0) continue;
        if (split.refused.length === item.batch.events.length) {
          setAside += 1;
          await this.deadLetter(recordedMsgs[i]!, `the event store refused every event of the batch: ${describeRefused(split.refused)}`, split.refused);
        } else {
          // The rest is recorded: the message is acked with the group, and a copy holding only the refused events is the dead letter.
          await this.deadLetterMembers(recordedMsgs[i]!, item.batch, split.refused);
        }
      }
    }
    const { metrics } = this.options;
    if (outcome.recorded > 0) metrics.recorded.add(outcome.recorded);
    if (outcome.duplicates > 0) metrics.duplicates.add(outcome.duplicates);
    if (outcome.unpriced > 0) metrics.unpriced.add(outcome.unpriced);
    return { ...outcome, setAside };
  }

  /**
   * Records the events `indices` of one batch, halving the set whenever the store refuses it: returns what was
   * recorded and the events it refused alone (each appended on its own, so nothing else is held back by them).
   * An event recorded by an earlier attempt comes out as a duplicate, never twice.
   */
  private async recordMembers(item: BatchToRecord, indices: readonly number[]): Promise<{ outcome: Omit<MeteredGroup, 'setAside'>; refused: RefusedMember[] }> {
    const part: BatchToRecord =
      indices.length === item.batch.events.length
        ? item
        : { ...item, batch: { ...item.batch, events: indices.map((index) => item.batch.events[index]!) }, priced: indices.map((index) => item.priced[index]!) };
    try {
      return { outcome: await this.append([part]), refused: [] };
    } catch (error) {
      if (!refusedByStore(error)) throw error;
      if (indices.length === 1) return { outcome: NOTHING, refused: [{ index: indices[0]!, reason: (error as Error).message }] };
      const middle = Math.ceil(indices.length / 2);
      const left = await this.recordMembers(item, indices.slice(0, middle));
      const right = await this.recordMembers(item, indices.slice(middle));
      return { outcome: sum(left.outcome, right.outcome), refused: [...left.refused, ...right.refused] };
    }
  }

  /**
   * Dead-letters the refused events of a batch whose other events are recorded: a usage batch holding only them
   * (same batch id, workspace and actor) on `<p>dlq.<durable>`, their indices in the original batch in a header.
   * A failed publish throws, so the group comes again: its recorded events are then duplicates.
   */
  private async deadLetterMembers(msg: JsMsg, batch: UsageIngestBatch, refused: readonly RefusedMember[]): Promise<void> {
    const headers = deadLetterHeadersOf(msg, this.options.durable, describeRefused(refused), refused);
    const members: UsageIngestBatch = { ...batch, events: refused.map(({ index }) => batch.events[index]!) };
    await this.options.js.publish(this.deadLetterSubject, JSON.stringify(members), {
      msgID: `${msg.info.stream}.${msg.info.streamSequence}.${this.options.durable}.members`,
      headers,
    });
    this.options.metrics.deadLetteredEvents.add(refused.length);
    this.options.logger.warn(
      { subject: msg.subject, streamSequence: msg.info.streamSequence, members: refused.map(({ index }) => index), reason: describeRefused(refused) },
      'usage events refused by the store dead-lettered; the rest of their batch is recorded',
    );
  }

  /**
   * Dead-letters the members of a batch its schema refused (the rest is recorded): a usage batch holding them
   * as they were sent, their indices in the original batch in a header. Published before the append, under an
   * id of its own, so a redelivered group dead-letters them once.
   */
  private async deadLetterInvalid(msg: JsMsg, batch: UsageIngestBatch, invalid: readonly InvalidMember[]): Promise<void> {
    const headers = deadLetterHeadersOf(msg, this.options.durable, describeRefused(invalid), invalid);
    await this.options.js.publish(this.deadLetterSubject, JSON.stringify({ ...batch, events: invalid.map(({ event }) => event) }), {
      msgID: `${msg.info.stream}.${msg.info.streamSequence}.${this.options.durable}.invalid`,
      headers,
    });
    this.options.metrics.deadLetteredEvents.add(invalid.length);
    this.options.logger.warn(
      { subject: msg.subject, streamSequence: msg.info.streamSequence, members: invalid.map(({ index }) => index), reason: describeRefused(invalid) },
      'invalid usage events dead-lettered; the rest of their batch is recorded',
    );
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

  private async deadLetter(msg: JsMsg, reason: string, refused?: readonly RefusedMember[]): Promise<void> {
    const headers = deadLetterHeadersOf(msg, this.options.durable, reason, refused);
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
    this.options.metrics.deadLetteredEvents.add(eventCountOf(msg));
    this.options.logger.warn({ subject: msg.subject, streamSequence: msg.info.streamSequence, reason }, 'usage batch dead-lettered');
    msg.term();
  }
}

/** An event of a batch the store refused on its own: its index in the batch, and the store's reason. */
interface RefusedMember {
  readonly index: number;
  readonly reason: string;
}

const NOTHING: Omit<MeteredGroup, 'setAside'> = { recorded: 0, duplicates: 0, unpriced: 0 };

function sum(a: Omit<MeteredGroup, 'setAside'>, b: Omit<MeteredGroup, 'setAside'>): Omit<MeteredGroup, 'setAside'> {
  return { recorded: a.recorded + b.recorded, duplicates: a.duplicates + b.duplicates, unpriced: a.unpriced + b.unpriced };
}

/** The store refused the data itself (not a lost connection or a server error, which are retried). */
function refusedByStore(error: unknown): boolean {
  return error instanceof EventStoreError && error.code === EventStoreErrorCode.InvalidArgument;
}

function describeRefused(refused: readonly RefusedMember[]): string {
  return refused.map(({ index, reason }) => `events[${index}]: ${reason}`).join('; ');
}

/** A dead letter's headers (libs/messaging's), and the refused events' indices when known. */
function deadLetterHeadersOf(msg: JsMsg, durable: string, reason: string, refused?: readonly RefusedMember[]): MsgHdrs {
  const headers = deadLetterHeaders(msg, durable, reason);
  if (refused?.length) headers.set(DeadLetterHeaders.Members, refused.map(({ index }) => index).join(','));
  return headers;
}

/** Events in a dead-lettered ingest message (1 when it is not a readable batch). */
function eventCountOf(msg: JsMsg): number {
  try {
    const events = (JSON.parse(new TextDecoder().decode(msg.data)) as { events?: unknown }).events;
    return Array.isArray(events) && events.length > 0 ? events.length : 1;
  } catch {
    return 1;
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
