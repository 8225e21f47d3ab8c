import type { EventMetadata } from '@steward/contracts';

/**
 * A position in the global order of all events.
 *
 * PostgreSQL adapter: `commit` is the appending transaction's id (xid8) and
 * `prepare` the row's global sequence number; order is (commit, prepare), so an
 * event whose transaction commits late is never skipped.
 * KurrentDB adapter: the server's own commit / prepare positions.
 */
export interface GlobalPosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

/** Before the first event: reading from here reads everything. */
export const START: GlobalPosition = Object.freeze({ commit: 0n, prepare: 0n });

export function comparePositions(a: GlobalPosition, b: GlobalPosition): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

export function formatPosition(position: GlobalPosition): string {
  return `${position.commit}/${position.prepare}`;
}

export function parsePosition(text: string): GlobalPosition {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  if (!match) throw new Error(`not a global position: ${text}`);
  return { commit: BigInt(match[1]!), prepare: BigInt(match[2]!) };
}

/**
 * What the writer believes about the stream:
 * - `no_stream`: it must not exist yet;
 * - `stream_exists`: it must exist, at any revision;
 * - `any`: no check;
 * - a bigint: the stream's last event is at exactly this revision (0-based).
 */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | bigint;

export interface NewEvent {
  /** Idempotency key: the same id appended again with the same content is a no-op. */
  readonly eventId: string;
  readonly type: string;
  readonly version: number;
  readonly data: unknown;
  readonly metadata: EventMetadata;
}

export interface RecordedEvent extends NewEvent {
  readonly streamId: string;
  /** 0-based position of this event in its stream; contiguous. */
  readonly streamRevision: bigint;
  readonly position: GlobalPosition;
  readonly recordedAt: Date;
}

export interface AppendResult {
  /** The stream's revision after the append (the last event's revision). */
  readonly nextExpectedRevision: bigint;
  /** False when every event id was already stored with the same content: nothing was written. */
  readonly written: boolean;
  /**
   * The global position of the request's last event: where it was written, or, when nothing was written,
   * where the earlier append stored it. A reader whose checkpoint is at or past it has read the request's
   * events (read-your-writes waits on it).
   */
  readonly position: GlobalPosition;
}

export interface AppendRequest {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
  readonly expectedRevision: ExpectedRevision;
}

/** Events for `appendNew`: appended at the end of the stream, whatever its revision (`any`). */
export interface AppendNewRequest {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
}

export interface AppendNewResult {
  /** How many events were written. */
  readonly written: number;
  /**
   * The ids of the events skipped because their id was already stored (by an earlier call or an earlier
   * event of this call), in request order, lower-cased. The content of a skipped event is not compared.
   */
  readonly duplicateEventIds: readonly string[];
  /** The new revision of every stream written to. */
  readonly streamRevisions: ReadonlyMap<string, bigint>;
}

export interface ReadStreamOptions {
  readonly direction?: 'forwards' | 'backwards';
  /** Inclusive. Forwards defaults to 0, backwards to the end. */
  readonly fromRevision?: bigint;
  readonly maxCount?: number;
}

/**
 * Narrows a global read or subscription. Both lists are OR-ed within, AND-ed
 * together; `excludeEventTypes` then leaves out events of those types (a reader
 * that wants nearly everything but a high-volume type, e.g. the relay, reads no
 * row of it).
 */
export interface EventFilter {
  readonly eventTypes?: readonly string[];
  readonly streamPrefixes?: readonly string[];
  readonly excludeEventTypes?: readonly string[];
}

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. Defaults to START. */
  readonly from?: GlobalPosition;
  readonly maxCount?: number;
  readonly filter?: EventFilter;
  /**
   * True for a reader that never looks at events' metadata (a reactor over every usage event): each
   * event's `metadata` is then an empty object, never a partial one, and an adapter that can leave it
   * unread (PostgreSQL: not selected, sent or parsed) does; the others read it and drop it. Default false.
   */
  readonly withoutMetadata?: boolean;
  /**
   * The top-level fields of each event's data the reader needs: `data` is then an object holding those
   * of them the stored data has (`{}` when it is not an object), and the rest is dropped as soon as it is
   * parsed: a reader that holds many events (a batching reactor) keeps a few fields each, not whole
   * documents. (PostgreSQL picks them client-side: extracting fields from a json column costs the server
   * more than sending its text.) Default: the whole data.
   */
  readonly dataFields?: readonly string[];
  /**
   * The top-level fields of each event's metadata the reader needs (`withoutMetadata` wins over it):
   * `metadata` then holds those of them the stored metadata has, as `dataFields` narrows `data` (a reactor
   * that needs only the actor of every usage event). Default: the whole metadata.
   */
  readonly metadataFields?: readonly string[];
}

/** The `metadata` of every event read `withoutMetadata`: empty, shared, frozen. */
export const UNREAD_METADATA = Object.freeze({}) as EventMetadata;

/** `data` narrowed to `fields` (see ReadAllOptions.dataFields). */
export function pickDataFields(data: unknown, fields: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return picked;
  for (const field of fields) if (Object.hasOwn(data, field)) picked[field] = (data as Record<string, unknown>)[field];
  return picked;
}

export interface ReadAllPage {
  readonly events: readonly RecordedEvent[];
  /**
   * Where the next read resumes. It can be past the last returned event when a
   * filter skipped events, and it never passes an event that is not yet
   * committed (or not yet visible to every reader).
   */
  readonly checkpoint: GlobalPosition;
  /** True when nothing visible lies after `checkpoint` at the time of the read. */
  readonly isEnd: boolean;
}

export interface SubscribeOptions extends ReadAllOptions {
  /** How long to wait between polls when no notification arrives (ms). */
  readonly pollIntervalMs?: number;
}

export interface SubscriptionBatch {
  readonly events: readonly RecordedEvent[];
  /** Store this after handling the batch; resume from it. */
  readonly checkpoint: GlobalPosition;
  /** True once the subscription has read everything visible when this batch was read. */
  readonly caughtUp: boolean;
}

/**
 * Catch-up then live. Iterate it to receive batches (pull-based: a slow handler
 * slows reading down, nothing piles up); `close()` ends the iteration.
 */
export interface Subscription extends AsyncIterable<SubscriptionBatch> {
  close(): Promise<void>;
}

/**
 * A fold of a global read, done where the events are (`sumAll`): of the events `readAll` with the same
 * `from`, `filter` and `maxCount` would return, those whose type is a key of `sum` are grouped by the
 * text of their data's `groupBy` field, and the decimal text of their data's `sum[type]` field is added
 * up per group, exactly. An event whose group field is missing or null, or whose sum field is not a
 * plain decimal (`-?digits[.digits]`: a JSON string, or a number written so), is not folded (it still
 * counts toward `maxCount`, and the checkpoint still moves past it).
 */
export interface SumAllOptions {
  /** Exclusive, as readAll's. Defaults to START. */
  readonly from?: GlobalPosition;
  /** Events read at most (folded or not), as readAll's. */
  readonly maxCount?: number;
  readonly filter?: EventFilter;
  /** The top-level data field whose text names an event's group. */
  readonly groupBy: string;
  /** Per event type folded, the top-level data field added up. */
  readonly sum: Readonly<Record<string, string>>;
  /**
   * A top-level data field holding an instant (ISO-8601 text): each group also keeps the earliest and the
   * latest of its events' instants, and how many had none that parses. A caller that splits sums by time
   * (a billing period) sees whether a group lies within one span, and reads it event by event when not.
   */
  readonly span?: string;
}

/** One group of a fold. */
export interface SumGroup {
  /** The group field's text. */
  readonly key: string;
  /** The exact sum, canonical: no exponent, no trailing fractional zeros, no `-0` (`0` for zero). */
  readonly sum: string;
  /** Positions of the group's first and last folded event. */
  readonly first: GlobalPosition;
  readonly last: GlobalPosition;
  /** Events folded into the group. */
  readonly count: number;
  /** With `span`: the earliest and latest instant (epoch ms) of its events that have one, and how many had none. */
  readonly earliest?: number;
  readonly latest?: number;
  readonly unspanned?: number;
}

export interface SumAllPage {
  /** One per group key, in order of their first event. */
  readonly groups: readonly SumGroup[];
  /** As readAll's: where the next fold resumes. */
  readonly checkpoint: GlobalPosition;
  readonly isEnd: boolean;
}

export interface SubscribeToSumsOptions extends SumAllOptions {
  /** How long to wait between polls when no notification arrives (ms). */
  readonly pollIntervalMs?: number;
}

/** A subscription's batch of sums: the fold of the events after the previous batch's checkpoint up to this one. */
export interface SumBatch {
  readonly groups: readonly SumGroup[];
  /** Events read (folded or not) since the previous batch. */
  readonly checkpoint: GlobalPosition;
  readonly caughtUp: boolean;
}

/** `subscribeToAll`, folded: catch-up then live, pull-based, each batch a fold of the events since the last. */
export interface SumSubscription extends AsyncIterable<SumBatch> {
  close(): Promise<void>;
}

/** Below this, integers add up exactly as numbers (2^53). */
const EXACT_NUMBER = 9_007_199_254_740_992;
/** Decimal digits a number always holds exactly. */
const EXACT_DIGITS = 15;

interface SumGroupState<P> {
  /** The sum is `units / 10^scale + pending / 10^pendingScale`: most values add up as plain numbers (pending). */
  units: bigint;
  scale: number;
  pending: number;
  pendingScale: number;
  first: P;
  last: P;
  count: number;
  /** Span: canonical UTC times (`YYYY-MM-DDTHH:MM:SS.sssZ`) compare as text; any other as ms. */
  earliestText: string | undefined;
  latestText: string | undefined;
  earliest: number;
  latest: number;
  unspanned: number;
}

/** Whether `time` is a canonical UTC instant, whose text order is its time order. */
function canonicalInstant(time: string): boolean {
  return time.length === 24 && time.charCodeAt(23) === 90 && time.charCodeAt(10) === 84 && time.charCodeAt(19) === 46 && time.charCodeAt(4) === 45;
}

/**
 * Exact sums per group, added one value at a time (the arithmetic of `sumAll`): `P` is however the caller
 * holds a position (only each group's first and last are kept). A value is plain decimal text
 * (`-?digits(.digits)?`); one of up to 15 digits adds up as an integer number of its smallest unit
 * while the running number stays exact, and is carried into a bigint otherwise: no value is ever rounded.
 */
export class SumAccumulator<P> {
  private readonly groups = new Map<string, SumGroupState<P>>();

  /** `spanned`: the groups keep the earliest and latest instant of the `span` field (see SumAllOptions). */
  constructor(private readonly spanned = false) {}

  /** Adds the data field texts of one event (see SumAllOptions): false when it is not folded. */
  add(key: string | undefined, value: string | undefined, position: P, instant?: string): boolean {
    if (key === undefined || value === undefined) return false;
    // parsed by hand: -?\d+(\.\d+)?, its digits as a number while they are few enough
    const length = value.length;
    const negative = value.charCodeAt(0) === 45;
    let i = negative ? 1 : 0;
    let digits = 0;
    let dot = -1;
    let number = 0;
    for (; i < length; i++) {
      const c = value.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        if (digits < EXACT_DIGITS) number = number * 10 + (c - 48);
        digits++;
      } else if (c === 46 && dot === -1 && digits > 0 && i + 1 < length) dot = i;
      else return false;
    }
    if (digits === 0) return false;
    const scale = dot === -1 ? 0 : length - dot - 1;
    let group = this.groups.get(key);
    if (!group) {
      group = { units: 0n, scale: 0, pending: 0, pendingScale: 0, first: position, last: position, count: 0, earliestText: undefined, latestText: undefined, earliest: Infinity, latest: -Infinity, unspanned: 0 };
      this.groups.set(key, group);
    }
    if (digits <= EXACT_DIGITS) addNumber(group, negative ? -number : number, scale);
    else {
      const body = negative ? value.slice(1) : value;
      const bodyDot = negative ? dot - 1 : dot;
      const units = BigInt(dot === -1 ? body : body.slice(0, bodyDot) + body.slice(bodyDot + 1));
      addUnits(group, negative ? -units : units, scale);
    }
    if (this.spanned) {
      if (instant !== undefined && canonicalInstant(instant)) {
        if (group.earliestText === undefined || instant < group.earliestText) group.earliestText = instant;
        if (group.latestText === undefined || instant > group.latestText) group.latestText = instant;
      } else {
        const ms = instant === undefined ? Number.NaN : Date.parse(instant);
        if (Number.isNaN(ms)) group.unspanned += 1;
        else {
          if (ms < group.earliest) group.earliest = ms;
          if (ms > group.latest) group.latest = ms;
        }
      }
    }
    group.last = position;
    group.count += 1;
    return true;
  }

  /** The groups, in order of their first value. */
  groupsWith(position: (held: P) => GlobalPosition): SumGroup[] {
    return [...this.groups].map(([key, group]) => {
      carry(group);
      const earliest = Math.min(group.earliest, group.earliestText === undefined ? Infinity : Date.parse(group.earliestText));
      const latest = Math.max(group.latest, group.latestText === undefined ? -Infinity : Date.parse(group.latestText));
      return {
        key,
        sum: decimalText(group.units, group.scale),
        first: position(group.first),
        last: position(group.last),
        count: group.count,
        ...(this.spanned ? { ...(group.unspanned < group.count ? { earliest, latest } : {}), unspanned: group.unspanned } : {}),
      };
    });
  }
}

/** Adds `units / 10^scale` to the group's exact sum. */
function addUnits(group: SumGroupState<unknown>, units: bigint, scale: number): void {
  if (scale > group.scale) {
    group.units *= 10n ** BigInt(scale - group.scale);
    group.scale = scale;
  } else if (scale < group.scale) units *= 10n ** BigInt(group.scale - scale);
  group.units += units;
}

/** Adds `units / 10^scale` (an integer number of up to 15 digits) to the group's pending number while it stays exact. */
function addNumber(group: SumGroupState<unknown>, units: number, scale: number): void {
  let pending = group.pending;
  let added = units;
  let pendingScale = group.pendingScale;
  if (pending === 0) pendingScale = scale;
  else if (scale > pendingScale) {
    pending *= 10 ** (scale - pendingScale);
    pendingScale = scale;
  } else if (scale < pendingScale) added *= 10 ** (pendingScale - scale);
  const next = pending + added;
  // integers: every operand and the result below 2^53 means no rounding anywhere (the true result is an
  // integer a double holds; a power of ten past 10^15 makes any non-zero product too large to pass)
  if (Math.abs(pending) < EXACT_NUMBER && Math.abs(added) < EXACT_NUMBER && Math.abs(next) < EXACT_NUMBER) {
    group.pending = next;
    group.pendingScale = pendingScale;
    return;
  }
  carry(group);
  group.pending = units;
  group.pendingScale = scale;
}

/** Moves the group's pending number into its exact sum. */
function carry(group: SumGroupState<unknown>): void {
  if (group.pending === 0) return;
  addUnits(group, BigInt(group.pending), group.pendingScale);
  group.pending = 0;
}

/** The group, sum and span field texts of a parsed event's data (undefined where it has none). */
export function sumFields(type: string, data: unknown, options: Pick<SumAllOptions, 'groupBy' | 'sum' | 'span'>): [string | undefined, string | undefined, string | undefined] {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return [undefined, undefined, undefined];
  const fields = data as Record<string, unknown>;
  return [fieldText(fields[options.groupBy]), fieldText(fields[options.sum[type]!]), options.span === undefined ? undefined : fieldText(fields[options.span])];
}

/** The fold `sumAll` defines, in memory (events in global order). */
export function foldSums(events: readonly RecordedEvent[], options: Pick<SumAllOptions, 'groupBy' | 'sum' | 'span'>): SumGroup[] {
  const sums = new SumAccumulator<GlobalPosition>(options.span !== undefined);
  for (const event of events) {
    if (!Object.hasOwn(options.sum, event.type)) continue;
    const [key, value, instant] = sumFields(event.type, event.data, options);
    sums.add(key, value, event.position, instant);
  }
  return sums.groupsWith((position) => position);
}

/** The narrowest read that `foldSums` can fold: the group and sum fields of the data, no metadata. */
export function sumReadOptions(options: SumAllOptions): ReadAllOptions {
  return {
    ...(options.from ? { from: options.from } : {}),
    ...(options.maxCount !== undefined ? { maxCount: options.maxCount } : {}),
    ...(options.filter ? { filter: options.filter } : {}),
    withoutMetadata: true,
    dataFields: [...new Set([options.groupBy, ...Object.values(options.sum), ...(options.span === undefined ? [] : [options.span])])],
  };
}

/** A subscription's batches folded as `sumAll` folds a page (adapters that cannot fold where the events are). */
export function foldedSubscription(subscription: Subscription, options: Pick<SumAllOptions, 'groupBy' | 'sum' | 'span'>): SumSubscription {
  return {
    close: () => subscription.close(),
    async *[Symbol.asyncIterator]() {
      for await (const batch of subscription) yield { groups: foldSums(batch.events, options), checkpoint: batch.checkpoint, caughtUp: batch.caughtUp };
    },
  };
}

/** A data field as the text PostgreSQL's `->>` gives (undefined for missing / null; objects and arrays as JSON). */
function fieldText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** `units / 10^scale` as canonical decimal text. */
export function decimalText(units: bigint, scale: number): string {
  if (units === 0n) return '0';
  const negative = units < 0n;
  let digits = (negative ? -units : units).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
    digits = digits.slice(0, digits.length - scale) + (fraction ? `.${fraction}` : '');
  }
  return negative ? `-${digits}` : digits;
}

export interface EventStore {
  /** Appends to one stream, atomically, checking the expected revision. */
  append(streamId: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult>;
  /** Appends to several streams in one atomic unit: all land or none. */
  appendMany(requests: readonly AppendRequest[]): Promise<AppendResult[]>;
  /**
   * Deduplicating append: writes only the events whose ids are not stored yet and reports the others as
   * duplicates, all in ONE transaction — the check and the write commit together, so a failed append
   * claims no id (a retry writes it) and concurrent calls with the same ids write each id once. The first
   * write of an id wins; later ones are skipped however their content differs. Expected revision `any`
   * per stream; requests may name the same stream several times. Used where an event id is a natural
   * dedup key (usage metering). The KurrentDB adapter refuses it (NotSupported): its dedup by id is not
   * reliable without an exact expected revision.
   */
  appendNew(requests: readonly AppendNewRequest[]): Promise<AppendNewResult>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<ReadAllPage>;
  subscribeToAll(options?: SubscribeOptions): Subscription;
  /**
   * The fold of one readAll page (see SumAllOptions): per group, the exact sum, first and last position
   * and count; checkpoint and isEnd exactly as readAll's (never past an event not yet visible to every
   * reader). PostgreSQL folds in one statement, sending one row per group; KurrentDB folds its readAll.
   */
  sumAll(options: SumAllOptions): Promise<SumAllPage>;
  /** subscribeToAll's batches, folded as sumAll (one fold per batch). */
  subscribeToSums(options: SubscribeToSumsOptions): SumSubscription;
  /** The position after the newest visible event (START when empty). */
  headPosition(): Promise<GlobalPosition>;
  close(): Promise<void>;
}

export enum EventStoreErrorCode {
  /** The stream is not at the expected revision: reload and decide again. */
  WrongExpectedRevision = 'WRONG_EXPECTED_REVISION',
  /** An event id was already used with other content. */
  IdempotencyViolation = 'IDEMPOTENCY_VIOLATION',
  InvalidArgument = 'INVALID_ARGUMENT',
  /** The store could not be reached or answered with an error; safe to retry. */
  Unavailable = 'UNAVAILABLE',
  /** This adapter cannot keep the operation's promise (e.g. `appendNew` on KurrentDB). */
  NotSupported = 'NOT_SUPPORTED',
}

export class EventStoreError extends Error {
  constructor(
    readonly code: EventStoreErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EventStoreError';
  }

  static isConflict(error: unknown): error is EventStoreError {
    return error instanceof EventStoreError && error.code === EventStoreErrorCode.WrongExpectedRevision;
  }
}
