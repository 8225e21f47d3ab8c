import {
  type AllStreamRecordedEvent,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendStreamState,
  BACKWARDS,
  END,
  ErrorType,
  type EventData,
  FORWARDS,
  type Filter,
  type JSONType,
  KurrentDBClient,
  ANY as KURRENT_ANY,
  START as KURRENT_START,
  NO_STREAM,
  type Position,
  STREAM_EXISTS,
  type WrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
} from '@kurrent/kurrentdb-client';
import type { EventMetadata } from '@steward/contracts';
import {
  type AppendNewRequest,
  type AppendNewResult,
  type AppendRequest,
  type AppendResult,
  type EventFilter,
  type EventStore,
  EventStoreError,
  EventStoreErrorCode,
  type ExpectedRevision,
  type GlobalPosition,
  type NewEvent,
  type ReadAllOptions,
  type ReadAllPage,
  type SubscribeToSumsOptions,
  type SumAllOptions,
  type SumAllPage,
  type SumSubscription,
  foldSums,
  foldedSubscription,
  sumReadOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  START,
  UNREAD_METADATA,
  pickDataFields,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionBatch,
  comparePositions,
} from '../event-store.port';
import { EventStoreSpans, traced } from '../event-store.tracing';
import {
  type PreparedRequest,
  describeRevision,
  prepareRequests,
  validateReadAll,
  validateSumAll,
  validateReadStream,
} from '../event-store.validation';

/** Re-exported so `openKurrentDbEventStore` can load client and adapter in one lazy step. */
export { KurrentDBClient };

export interface KurrentDbEventStoreOptions {
  /** The store never disposes it: its owner does. */
  readonly client: KurrentDBClient;
}

const DEFAULT_PAGE_SIZE = 1000;
/** Pause the server subscription when this many items wait for the consumer. */
const HIGH_WATER_MARK = 512;

/**
 * Metadata as KurrentDB stores it for Steward events: string values only
 * (multi-stream appends accept nothing else), `$correlationId` / `$causationId`
 * so the server's own tooling links events.
 */
interface StoredMetadata {
  readonly eventVersion: string;
  readonly stewardMetadata: string;
  readonly $correlationId: string;
  readonly $causationId?: string;
}

/**
 * The event store on KurrentDB (EventStoreDB's successor), for deployments
 * that outgrow one PostgreSQL. Same port and contract as the PostgreSQL
 * adapter, with the server's limits:
 * - deduplication by event id is per stream, and reliable only with an exact
 *   expected revision (or `no_stream`); `written` is derived from the server's
 *   answer (an idempotent append has no position) and the stream's revision;
 * - a reused id with other content is detected when the server answers the
 *   append idempotently (the stored events are compared), not across streams;
 * - `appendMany` needs KurrentDB 25.1+ (multi-stream append);
 * - `appendNew` (deduplicating append by event id, across streams, decided in the transaction of the write)
 *   is refused with NotSupported: KurrentDB checks ids only per stream and only against an exact expected
 *   revision, so it could not keep that promise. Usage metering needs the PostgreSQL store.
 */
export class KurrentDbEventStore implements EventStore {
  private readonly client: KurrentDBClient;
  private readonly subscriptions = new Set<KurrentDbSubscription>();

  constructor(options: KurrentDbEventStoreOptions) {
    this.client = options.client;
  }

  append(streamId: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    return traced(
      EventStoreSpans.Append,
      { 'db.system': 'kurrentdb', 'event_store.stream_id': String(streamId), 'event_store.event_count': events?.length ?? 0 },
      async (span) => {
        const [request] = prepareRequests([{ streamId, events, expectedRevision: options?.expectedRevision }]);
        const result = await this.appendOne(request!, events);
        span.setAttribute('event_store.written', result.written);
        return result;
      },
    );
  }

  appendMany(requests: readonly AppendRequest[]): Promise<AppendResult[]> {
    return traced(
      EventStoreSpans.Append,
      {
        'db.system': 'kurrentdb',
        'event_store.stream_id': (requests ?? []).map((r) => String(r?.streamId)),
        'event_store.event_count': (requests ?? []).reduce((n, r) => n + (r?.events?.length ?? 0), 0),
      },
      async () => {
        const prepared = prepareRequests(requests);
        if (prepared.length === 1) return [await this.appendOne(prepared[0]!, requests[0]!.events)];
        try {
          const result = await this.client.multiStreamAppend(
            requests.map((request, i) => ({
              streamName: request.streamId,
              expectedState: toStreamState(prepared[i]!.expectedRevision),
              events: request.events.map(toEventData),
            })),
          );
          return prepared.map((request) => {
            const response = result.responses.find((r) => r.streamName === request.streamId);
            if (!response) throw unavailable(new Error(`no answer for stream ${request.streamId}`));
            // One atomic append: every stream's events end at the one log position the server answers.
            return { nextExpectedRevision: response.revision, written: true, position: { commit: result.position, prepare: result.position } };
          });
        } catch (error) {
          throw toStoreError(error, prepared);
        }
      },
    );
  }

  appendNew(_requests: readonly AppendNewRequest[]): Promise<AppendNewResult> {
    return Promise.reject(
      new EventStoreError(
        EventStoreErrorCode.NotSupported,
        'appendNew is not supported on KurrentDB: its dedup by event id is per stream and reliable only with an exact expected revision',
      ),
    );
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    validateReadStream(streamId, options);
    const backwards = options.direction === 'backwards';
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(streamId, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: options.fromRevision ?? (backwards ? END : KURRENT_START),
        maxCount: options.maxCount ?? Number.MAX_SAFE_INTEGER,
      })) {
        if (resolved.event) events.push(toRecordedEvent(resolved.event));
      }
    } catch (error) {
      if (errorType(error) === ErrorType.STREAM_NOT_FOUND) return [];
      throw toStoreError(error);
    }
    return events;
  }

  readAll(options: ReadAllOptions = {}): Promise<ReadAllPage> {
    return traced(EventStoreSpans.ReadAll, { 'db.system': 'kurrentdb' }, async (span) => {
      validateReadAll(options);
      const from = options.from ?? START;
      const limit = options.maxCount ?? DEFAULT_PAGE_SIZE;
      // The head before the read: everything up to it is seen by the read below,
      // so a filtered page that reaches the end may resume after it.
      const head = await this.headPosition();
      const events: RecordedEvent[] = [];
      let scanned = 0;
      let lastScanned: GlobalPosition | undefined;
      try {
        for await (const resolved of this.client.readAll({
          fromPosition: from === START || isStart(from) ? KURRENT_START : { commit: from.commit, prepare: from.prepare },
          maxCount: limit + 2,
          filter: serverFilter(options.filter),
        })) {
          const event = resolved.event;
          if (!event || comparePositions(event.position, from) <= 0) continue;
          scanned++;
          if (scanned > limit) break;
          lastScanned = event.position;
          if (matches(event, options.filter)) events.push(toRecordedEvent(event, options));
        }
      } catch (error) {
        throw toStoreError(error);
      }
      const isEnd = scanned <= limit;
      let checkpoint = lastScanned && comparePositions(lastScanned, from) > 0 ? lastScanned : from;
      if (isEnd && comparePositions(head, checkpoint) > 0) checkpoint = head;
      span.setAttribute('event_store.event_count', events.length);
      return { events, checkpoint, isEnd };
    });
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    validateReadAll(options);
    const subscription = new KurrentDbSubscription(this.client, options, (s) => this.subscriptions.delete(s));
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** Folds its own readAll page in memory (correct, not faster: KurrentDB cannot add up inside the server). */
  async sumAll(options: SumAllOptions): Promise<SumAllPage> {
    validateSumAll(options);
    const page = await this.readAll(sumReadOptions(options));
    return { groups: foldSums(page.events, options), checkpoint: page.checkpoint, isEnd: page.isEnd };
  }

  subscribeToSums(options: SubscribeToSumsOptions): SumSubscription {
    validateSumAll(options);
    const { groupBy: _groupBy, sum: _sum, ...subscribe } = options;
    return foldedSubscription(this.subscribeToAll({ ...subscribe, ...sumReadOptions(options) }), options);
  }

  async headPosition(): Promise<GlobalPosition> {
    try {
      for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) {
        const position = resolved.event?.position;
        if (position) return { commit: position.commit, prepare: position.prepare };
      }
    } catch (error) {
      throw toStoreError(error);
    }
    return START;
  }

  /** Ends every subscription; the client stays open (its owner disposes it). */
  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
  }

  private async appendOne(request: PreparedRequest, events: readonly NewEvent[]): Promise<AppendResult> {
    const before = await this.currentRevision(request.streamId);
    let result;
    try {
      result = await this.client.appendToStream(request.streamId, events.map(toEventData), {
        streamState: toStreamState(request.expectedRevision),
      });
    } catch (error) {
      throw toStoreError(error, [request]);
    }
    const next = result.nextExpectedRevision;
    const written = result.position !== undefined && (before === undefined || next > before);
    if (written) return { nextExpectedRevision: next, written, position: { commit: result.position!.commit, prepare: result.position!.prepare } };
    const position = await this.assertSameAsStored(request, next);
    return { nextExpectedRevision: before ?? next, written, position };
  }

  /**
   * After an idempotent answer: the stored events under those revisions must be ours, with the same content.
   * Returns the position of the last of them.
   */
  private async assertSameAsStored(request: PreparedRequest, lastRevision: bigint): Promise<GlobalPosition> {
    const count = request.events.length;
    const first = lastRevision - BigInt(count) + 1n;
    const stored = first < 0n ? [] : await this.readStream(request.streamId, { fromRevision: first, maxCount: count });
    const same =
      stored.length === count &&
      request.events.every((event, i) => {
        const s = stored[i]!;
        return (
          s.eventId.toLowerCase() === event.eventId &&
          s.type === event.type &&
          s.version === event.version &&
          canonicalJson(s.data) === canonicalJson(JSON.parse(event.data))
        );
      });
    if (!same) {
      throw new EventStoreError(
        EventStoreErrorCode.IdempotencyViolation,
        `an event id of this append to ${request.streamId} is already stored with other content`,
        { streamId: request.streamId, eventIds: request.events.map((e) => e.eventId) },
      );
    }
    return stored[count - 1]!.position;
  }

  private async currentRevision(streamId: string): Promise<bigint | undefined> {
    const [last] = await this.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    return last?.streamRevision;
  }
}

/** Pull-based: items wait in a bounded queue; the server subscription is paused while it is full. */
type QueueItem =
  | { readonly kind: 'event'; readonly event: AllStreamRecordedEvent }
  | { readonly kind: 'checkpoint'; readonly position: Position }
  | { readonly kind: 'caughtUp'; readonly position?: Position };

class KurrentDbSubscription implements Subscription {
  private readonly queue: QueueItem[] = [];
  private server: AllStreamSubscription | undefined;
  private closed = false;
  private ended = false;
  private failure: unknown;
  private wakeUp: (() => void) | undefined;
  private iterator: AsyncGenerator<SubscriptionBatch> | undefined;

  constructor(
    private readonly client: KurrentDBClient,
    private readonly options: SubscribeOptions,
    private readonly onClose: (subscription: KurrentDbSubscription) => void,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<SubscriptionBatch> {
    this.iterator ??= this.run();
    return this.iterator;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
    this.wake();
    await this.server?.unsubscribe().catch(() => undefined);
  }

  private start(): void {
    const from = this.options.from ?? START;
    const filter = serverFilter(this.options.filter, (_subscription, position) => {
      this.push({ kind: 'checkpoint', position });
    });
    const server = this.client.subscribeToAll({
      fromPosition: isStart(from) ? KURRENT_START : { commit: from.commit, prepare: from.prepare },
      filter,
    });
    server.on('data', (resolved: AllStreamResolvedEvent) => {
      if (resolved.event) this.push({ kind: 'event', event: resolved.event });
    });
    server.on('caughtUp', (info) => this.push({ kind: 'caughtUp', ...(info.position ? { position: info.position } : {}) }));
    server.on('error', (error) => {
      this.failure = error;
      this.wake();
    });
    server.on('end', () => {
      this.ended = true;
      this.wake();
    });
    this.server = server;
  }

  private push(item: QueueItem): void {
    this.queue.push(item);
    if (this.queue.length >= HIGH_WATER_MARK) this.server?.pause();
    this.wake();
  }

  private wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }

  private async *run(): AsyncGenerator<SubscriptionBatch> {
    if (this.closed) return;
    this.start();
    const limit = this.options.maxCount ?? DEFAULT_PAGE_SIZE;
    let position = this.options.from ?? START;
    let caughtUp = false;
    try {
      while (!this.closed) {
        if (this.queue.length === 0) {
          if (this.failure) throw toStoreError(this.failure);
          if (this.ended) return;
          this.server?.resume();
          await new Promise<void>((resolve) => {
            this.wakeUp = resolve;
          });
          continue;
        }
        const events: RecordedEvent[] = [];
        let checkpoint = position;
        let announce = false;
        while (this.queue.length > 0 && events.length < limit) {
          const item = this.queue.shift()!;
          if (item.kind === 'event') {
            if (comparePositions(item.event.position, position) <= 0) continue;
            if (comparePositions(item.event.position, checkpoint) > 0) checkpoint = item.event.position;
            if (matches(item.event, this.options.filter)) events.push(toRecordedEvent(item.event, this.options));
          } else {
            if (item.position && comparePositions(item.position, checkpoint) > 0) checkpoint = item.position;
            if (item.kind === 'caughtUp' && !caughtUp) {
              caughtUp = true;
              announce = true;
            }
          }
        }
        if (events.length > 0 || comparePositions(checkpoint, position) > 0 || announce) {
          position = { commit: checkpoint.commit, prepare: checkpoint.prepare };
          yield { events, checkpoint: position, caughtUp: caughtUp && this.queue.length === 0 };
        }
      }
    } finally {
      await this.close();
    }
  }
}

function isStart(position: GlobalPosition): boolean {
  return position.commit === START.commit && position.prepare === START.prepare;
}

function toStreamState(expected: ExpectedRevision): AppendStreamState {
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'stream_exists') return STREAM_EXISTS;
  if (expected === 'any') return KURRENT_ANY;
  return expected;
}

function toEventData(event: NewEvent): EventData {
  const metadata: StoredMetadata = {
    eventVersion: String(event.version),
    stewardMetadata: JSON.stringify(event.metadata),
    $correlationId: event.metadata.correlationId,
    ...(event.metadata.causationId ? { $causationId: event.metadata.causationId } : {}),
  };
  return jsonEvent({
    id: event.eventId.toLowerCase(),
    type: event.type,
    data: event.data as JSONType,
    metadata: metadata as unknown as JSONType,
  });
}

/** `withoutMetadata` / `dataFields` / `metadataFields`: the server sends the whole event anyway; the full read is mapped. */
function toRecordedEvent(event: Omit<AllStreamRecordedEvent, 'position'> & { position?: Position }, narrow: Pick<ReadAllOptions, 'withoutMetadata' | 'dataFields' | 'metadataFields'> = {}): RecordedEvent {
  const withoutMetadata = narrow.withoutMetadata === true;
  const stored = (event.isJson && event.metadata && typeof event.metadata === 'object' ? event.metadata : {}) as Partial<StoredMetadata>;
  let metadata = withoutMetadata ? UNREAD_METADATA : ({} as EventMetadata);
  if (!withoutMetadata && typeof stored.stewardMetadata === 'string') {
    try {
      metadata = JSON.parse(stored.stewardMetadata) as EventMetadata;
    } catch {
      metadata = {} as EventMetadata;
    }
  }
  const version = Number(stored.eventVersion ?? 1);
  return {
    eventId: event.id.toLowerCase(),
    type: event.type,
    version: Number.isInteger(version) && version > 0 ? version : 1,
    data: narrow.dataFields ? pickDataFields(event.data, narrow.dataFields) : event.data,
    metadata: narrow.metadataFields && !withoutMetadata ? (pickDataFields(metadata, narrow.metadataFields) as EventMetadata) : metadata,
    streamId: event.streamId,
    streamRevision: event.revision,
    // Stream reads may come without a position on older servers.
    position: event.position ? { commit: event.position.commit, prepare: event.position.prepare } : START,
    recordedAt: event.created,
  };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * KurrentDB filters on one dimension: stream prefixes when given (types are
 * then checked here), else exact event types, else everything but system events.
 */
export function serverFilter(filter: EventFilter | undefined, checkpointReached?: Filter['checkpointReached']): Filter {
  const extra = checkpointReached ? { checkpointInterval: 1, checkpointReached } : {};
  if (filter?.streamPrefixes && filter.streamPrefixes.length > 0) {
    return streamNameFilter({ prefixes: [...filter.streamPrefixes], ...extra });
  }
  if (filter?.eventTypes && filter.eventTypes.length > 0) {
    return eventTypeFilter({ regex: `^(?:${filter.eventTypes.map(escapeRegex).join('|')})$`, ...extra });
  }
  return excludeSystemEvents(extra);
}

/** The whole filter, client-side (the server applied one dimension of it), and no system events. */
export function matches(event: { streamId: string; type: string }, filter: EventFilter | undefined): boolean {
  if (event.type.startsWith('$') || event.streamId.startsWith('$')) return false;
  if (filter?.eventTypes && filter.eventTypes.length > 0 && !filter.eventTypes.includes(event.type)) return false;
  if (filter?.excludeEventTypes?.includes(event.type)) return false;
  if (filter?.streamPrefixes && filter.streamPrefixes.length > 0 && !filter.streamPrefixes.some((p) => event.streamId.startsWith(p))) {
    return false;
  }
  return true;
}

/** JSON with object keys sorted, to compare content the way jsonb equality does. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function errorType(error: unknown): string | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : undefined;
}

function unavailable(error: unknown): EventStoreError {
  const message = error instanceof Error ? error.message : String(error);
  return new EventStoreError(EventStoreErrorCode.Unavailable, `event store unavailable: ${message}`, {}, { cause: error });
}

function toStoreError(error: unknown, requests: readonly PreparedRequest[] = []): EventStoreError {
  if (error instanceof EventStoreError) return error;
  switch (errorType(error)) {
    case ErrorType.WRONG_EXPECTED_VERSION:
    case ErrorType.APPEND_CONSISTENCY_VIOLATION: {
      const wrong = error as Partial<WrongExpectedVersionError>;
      const streamId = wrong.streamName ?? requests[0]?.streamId;
      const request = requests.find((r) => r.streamId === streamId) ?? requests[0];
      const actual = wrong.actualState;
      return new EventStoreError(
        EventStoreErrorCode.WrongExpectedRevision,
        (error as Error).message,
        {
          streamId,
          expected: request ? describeRevision(request.expectedRevision) : String(wrong.expectedState),
          actual: typeof actual === 'bigint' ? (actual < 0n ? 'deleted' : actual.toString()) : describeRevision(actual),
        },
        { cause: error },
      );
    }
    case ErrorType.STREAM_DELETED:
    case ErrorType.STREAM_TOMBSTONED:
      return new EventStoreError(
        EventStoreErrorCode.WrongExpectedRevision,
        (error as Error).message,
        { streamId: requests[0]?.streamId, expected: describeRevision(requests[0]?.expectedRevision), actual: 'deleted' },
        { cause: error },
      );
    case ErrorType.INVALID_ARGUMENT:
    case ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED:
    case ErrorType.APPEND_RECORD_SIZE_EXCEEDED:
    case ErrorType.TRANSACTION_MAX_SIZE_EXCEEDED:
    case ErrorType.MISSING_REQUIRED_METADATA_PROPERTY:
      return new EventStoreError(EventStoreErrorCode.InvalidArgument, (error as Error).message, {}, { cause: error });
    default:
      return unavailable(error);
  }
}
