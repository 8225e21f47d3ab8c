import type { AppendNewRequest, AppendRequest, ExpectedRevision, NewEvent, ReadAllOptions, ReadStreamOptions, SumAllOptions } from './event-store.port';
import { EventStoreError, EventStoreErrorCode } from './event-store.port';

/** Input checks shared by every adapter: a bad request is refused before any I/O. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MAX_STREAM_ID_LENGTH = 500;

function invalid(message: string, details: Record<string, unknown> = {}): EventStoreError {
  return new EventStoreError(EventStoreErrorCode.InvalidArgument, message, details);
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function validateStreamId(streamId: unknown): asserts streamId is string {
  if (typeof streamId !== 'string' || streamId.length === 0) throw invalid('stream id must be a non-empty string');
  if (streamId.length > MAX_STREAM_ID_LENGTH) {
    throw invalid(`stream id longer than ${MAX_STREAM_ID_LENGTH} characters`, { streamId: streamId.slice(0, 50) });
  }
}

export function validateExpectedRevision(expected: unknown): asserts expected is ExpectedRevision {
  if (expected === 'no_stream' || expected === 'stream_exists' || expected === 'any') return;
  if (typeof expected === 'bigint' && expected >= 0n) return;
  throw invalid('expected revision must be no_stream, stream_exists, any or a bigint >= 0', {
    expected: String(expected),
  });
}

/** A validated event, its id lower-cased and its data and metadata serialised once. */
export interface PreparedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly version: number;
  readonly data: string;
  readonly metadata: string;
}

function toJson(value: unknown, what: string, eventId: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new EventStoreError(EventStoreErrorCode.InvalidArgument, `${what} of event ${eventId} is not JSON`, { eventId }, { cause: error });
  }
  if (text === undefined) throw invalid(`${what} of event ${eventId} is not JSON`, { eventId });
  return text;
}

export function prepareEvent(event: NewEvent): PreparedEvent {
  if (event === null || typeof event !== 'object') throw invalid('an event must be an object');
  if (typeof event.eventId !== 'string' || !isUuid(event.eventId)) {
    throw invalid('event id must be a UUID', { eventId: String(event.eventId) });
  }
  const eventId = event.eventId.toLowerCase();
  if (typeof event.type !== 'string' || event.type.length === 0 || event.type.length > 200) {
    throw invalid('event type must be a non-empty string of at most 200 characters', { eventId });
  }
  if (!Number.isInteger(event.version) || event.version < 1 || event.version > 2_147_483_647) {
    throw invalid('event version must be a positive integer', { eventId, version: event.version });
  }
  if (event.metadata === null || typeof event.metadata !== 'object' || Array.isArray(event.metadata)) {
    throw invalid('event metadata must be an object', { eventId });
  }
  return {
    eventId,
    type: event.type,
    version: event.version,
    data: toJson(event.data, 'data', eventId),
    metadata: toJson(event.metadata, 'metadata', eventId),
  };
}

export interface PreparedRequest {
  readonly streamId: string;
  readonly expectedRevision: ExpectedRevision;
  readonly events: readonly PreparedEvent[];
}

/** Validates one or more append requests; event ids must be unique across all of them, stream ids too. */
export function prepareRequests(requests: readonly AppendRequest[]): PreparedRequest[] {
  if (!Array.isArray(requests) || requests.length === 0) throw invalid('at least one append request is required');
  const seenIds = new Set<string>();
  const seenStreams = new Set<string>();
  return requests.map((request) => {
    validateStreamId(request.streamId);
    validateExpectedRevision(request.expectedRevision);
    if (seenStreams.has(request.streamId)) {
      throw invalid('a stream may appear only once in appendMany', { streamId: request.streamId });
    }
    seenStreams.add(request.streamId);
    if (!Array.isArray(request.events) || request.events.length === 0) {
      throw invalid('an append needs at least one event', { streamId: request.streamId });
    }
    const events = request.events.map(prepareEvent);
    for (const event of events) {
      if (seenIds.has(event.eventId)) throw invalid('the same event id appears twice in one append', { eventId: event.eventId });
      seenIds.add(event.eventId);
    }
    return { streamId: request.streamId, expectedRevision: request.expectedRevision, events };
  });
}

/** A validated `appendNew` event, with the stream it goes to. */
export interface PreparedNewEvent extends PreparedEvent {
  readonly streamId: string;
  /** Its place among all events of the call (0-based, across requests). */
  readonly index: number;
}

/**
 * Validates `appendNew` requests and drops repeated ids within the call (the first occurrence is kept,
 * the others are duplicates). Stream ids may repeat.
 */
export function prepareNewRequests(requests: readonly AppendNewRequest[]): {
  events: PreparedNewEvent[];
  duplicates: { eventId: string; index: number }[];
} {
  if (!Array.isArray(requests) || requests.length === 0) throw invalid('at least one append request is required');
  const seenIds = new Set<string>();
  const events: PreparedNewEvent[] = [];
  const duplicates: { eventId: string; index: number }[] = [];
  let index = 0;
  for (const request of requests) {
    validateStreamId(request.streamId);
    if (!Array.isArray(request.events) || request.events.length === 0) {
      throw invalid('an append needs at least one event', { streamId: request.streamId });
    }
    for (const event of request.events) {
      const prepared = prepareEvent(event);
      if (seenIds.has(prepared.eventId)) {
        duplicates.push({ eventId: prepared.eventId, index: index++ });
        continue;
      }
      seenIds.add(prepared.eventId);
      events.push({ ...prepared, streamId: request.streamId, index: index++ });
    }
  }
  return { events, duplicates };
}

export function validateMaxCount(maxCount: unknown): void {
  if (maxCount === undefined) return;
  if (typeof maxCount !== 'number' || !Number.isInteger(maxCount) || maxCount < 1) {
    throw invalid('maxCount must be a positive integer', { maxCount: String(maxCount) });
  }
}

export function validateReadStream(streamId: unknown, options: ReadStreamOptions): void {
  validateStreamId(streamId);
  if (options.direction !== undefined && options.direction !== 'forwards' && options.direction !== 'backwards') {
    throw invalid('direction must be forwards or backwards');
  }
  if (options.fromRevision !== undefined && (typeof options.fromRevision !== 'bigint' || options.fromRevision < 0n)) {
    throw invalid('fromRevision must be a bigint >= 0', { fromRevision: String(options.fromRevision) });
  }
  validateMaxCount(options.maxCount);
}

export function validateReadAll(options: ReadAllOptions): void {
  validateMaxCount(options.maxCount);
  const from = options.from;
  if (from !== undefined && (typeof from.commit !== 'bigint' || typeof from.prepare !== 'bigint' || from.commit < 0n || from.prepare < 0n)) {
    throw invalid('from must be a global position of non-negative bigints');
  }
  if (options.withoutMetadata !== undefined && typeof options.withoutMetadata !== 'boolean') {
    throw invalid('withoutMetadata must be a boolean');
  }
  if (options.dataFields !== undefined && !(Array.isArray(options.dataFields) && options.dataFields.every((f) => typeof f === 'string' && f.length > 0))) {
    throw invalid('dataFields must be non-empty strings');
  }
  if (options.metadataFields !== undefined && !(Array.isArray(options.metadataFields) && options.metadataFields.every((f) => typeof f === 'string' && f.length > 0))) {
    throw invalid('metadataFields must be non-empty strings');
  }
  const filter = options.filter;
  if (filter?.eventTypes !== undefined && !filter.eventTypes.every((t) => typeof t === 'string' && t.length > 0)) {
    throw invalid('filter.eventTypes must be non-empty strings');
  }
  if (filter?.excludeEventTypes !== undefined && !filter.excludeEventTypes.every((t) => typeof t === 'string' && t.length > 0)) {
    throw invalid('filter.excludeEventTypes must be non-empty strings');
  }
  if (filter?.streamPrefixes !== undefined && !filter.streamPrefixes.every((p) => typeof p === 'string' && p.length > 0)) {
    throw invalid('filter.streamPrefixes must be non-empty strings');
  }
}

export function validateSumAll(options: SumAllOptions): void {
  if (options === null || typeof options !== 'object') throw invalid('sumAll needs options');
  validateReadAll(options);
  if (typeof options.groupBy !== 'string' || options.groupBy.length === 0) throw invalid('groupBy must be a non-empty string');
  const sum = options.sum;
  if (sum === null || typeof sum !== 'object' || Object.keys(sum).length === 0) throw invalid('sum must name at least one event type');
  for (const [type, field] of Object.entries(sum)) {
    if (type.length === 0 || typeof field !== 'string' || field.length === 0) throw invalid('sum must map event types to non-empty field names', { type });
  }
  if (options.span !== undefined && (typeof options.span !== 'string' || options.span.length === 0)) throw invalid('span must be a non-empty field name');
}

/** JSON-safe text of a revision for error details: `no_stream`, `stream_exists`, `any` or the number as a string. */
export function describeRevision(revision: ExpectedRevision | bigint | undefined): string {
  return revision === undefined ? 'no_stream' : String(revision);
}
