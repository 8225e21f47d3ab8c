import type { Kysely, Transaction } from 'kysely';
import type { EventFilter, GlobalPosition, ReadAllOptions, RecordedEvent, SumGroup } from '@steward/event-store';
import { ProjectionError, ProjectionErrorCode } from './projection.error';

/** What a handler knows about where it writes. */
export interface ProjectionContext {
  readonly projection: string;
  /** The PostgreSQL schema the transaction is bound to: `rm_<name>` live, `rm_<name>__rebuild_<n>` during a rebuild. */
  readonly schema: string;
}

/** Applies one event. Runs inside the batch's transaction; throwing rolls the whole batch back. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ProjectionEventHandler<DB = any> = (
  trx: Transaction<DB>,
  event: RecordedEvent,
  context: ProjectionContext,
) => Promise<void>;

/** Applies a whole batch (fast path: aggregate in memory, then multi-row inserts/upserts). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ProjectionBatchHandler<DB = any> = (
  trx: Transaction<DB>,
  events: readonly RecordedEvent[],
  context: ProjectionContext,
) => Promise<void>;

/** A fold projection's batch: the store's sums over the events after `from` up to `checkpoint`. */
export interface ProjectionSums {
  readonly groups: readonly SumGroup[];
  /** Exclusive: the checkpoint the batch starts after. */
  readonly from: GlobalPosition;
  /** Inclusive: where the batch ends (stored as the checkpoint with the handler's writes). */
  readonly checkpoint: GlobalPosition;
}

/** Applies a fold projection's batch of sums. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ProjectionSumsHandler<DB = any> = (trx: Transaction<DB>, sums: ProjectionSums, context: ProjectionContext) => Promise<void>;

/** What a fold projection has the store add up (see the store's `sumAll`). */
export interface ProjectionFold {
  /** The data field whose text names a group. */
  readonly groupBy: string;
  /** Per event type, the data field added up. */
  readonly sum: Readonly<Record<string, string>>;
  /** A data field holding an instant: each group also has its earliest and latest (see the store's sumAll). */
  readonly span?: string;
  /** Events folded per batch at most. Default: the runner's batch size. */
  readonly maxCount?: number;
}

/**
 * A projection: event handlers that keep read-model tables up to date.
 *
 * - The read model lives in its own PostgreSQL schema, `rm_<name>` (see
 *   `projectionSchema`). `migrate` creates its tables; it receives a `Kysely`
 *   already bound to the target schema (`withSchema`), plus the schema name for
 *   raw SQL. It runs on an empty schema: live on the first start, and into a
 *   fresh schema on every rebuild, so it is written once, never altered in place
 *   (a changed read model is a new `version` plus a rebuild).
 * - Exactly one of `handle` (the whole batch at once) or `handlers` (one
 *   function per event type, called in order) applies events. The transaction
 *   passed in is bound to the target schema and its `search_path` is set to it,
 *   so raw SQL can use unqualified table names too. The runner commits the
 *   read-model writes and the checkpoint in that same transaction.
 * - `eventTypes` / `streamPrefixes` narrow what the store delivers. With
 *   `handlers` and no `eventTypes`, the handler keys are the filter.
 * - A fold projection (`fold` + `handleSums`, in place of events) gets, per
 *   batch, the store's exact sums per group (`sumAll`): nothing but a row per
 *   group leaves the store. Its `eventTypes` are the folded types. It has no
 *   events to replay one by one: it cannot be rebuilt or quarantine an event
 *   (a failed batch is retried from the checkpoint).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ProjectionDefinition<DB = any> {
  /** Lower-case letters, digits, `-` and `_`, starting with a letter, at most 40 characters. */
  readonly name: string;
  /** Bump when `migrate` or the handlers change meaning: the stored read model then needs a rebuild. */
  readonly version: number;
  readonly eventTypes?: readonly string[];
  readonly streamPrefixes?: readonly string[];
  /**
   * False for a reactor whose work is asynchronous by design (a re-rate): the gateway's read-your-writes
   * never holds a write's answer for it. Default true: a read model writes wait for.
   */
  readonly awaitedByWrites?: boolean;
  /**
   * True when the handlers never look at events' metadata: the store may leave it unread (the events'
   * `metadata` is then empty). For a hot reader, such as a reactor over every usage event.
   */
  readonly withoutMetadata?: boolean;
  /** The only top-level fields of events' data the handlers read (see the store's `dataFields`). */
  readonly dataFields?: readonly string[];
  /** The only top-level fields of events' metadata the handlers read (see the store's `metadataFields`). */
  readonly metadataFields?: readonly string[];
  /**
   * Live, a batch at most every this many ms (default 0: each as soon as the store has one): for a
   * reactor whose batches cost much besides their events (reads and writes per budget), events gather
   * in between, so the fixed cost is paid for many. Catching up is never paced; a stop wakes the pause.
   */
  readonly minBatchIntervalMs?: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  migrate(db: Kysely<any>, schema: string): Promise<void>;
  readonly handle?: ProjectionBatchHandler<DB>;
  readonly handlers?: Readonly<Record<string, ProjectionEventHandler<DB>>>;
  readonly fold?: ProjectionFold;
  readonly handleSums?: ProjectionSumsHandler<DB>;
}

const NAME = /^[a-z][a-z0-9_-]{0,39}$/;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function defineProjection<DB = any>(definition: ProjectionDefinition<DB>): ProjectionDefinition<DB> {
  const { name, version, handle, handlers, fold, handleSums } = definition;
  if (!NAME.test(name) || name.includes('__')) {
    throw new ProjectionError(
      ProjectionErrorCode.InvalidDefinition,
      `projection name ${JSON.stringify(name)} must match ${NAME} and not contain "__"`,
    );
  }
  if (!Number.isInteger(version) || version < 1) {
    throw new ProjectionError(ProjectionErrorCode.InvalidDefinition, `projection ${name}: version must be a positive integer`);
  }
  if ([handle, handlers, handleSums].filter((defined) => defined !== undefined).length !== 1) {
    throw new ProjectionError(
      ProjectionErrorCode.InvalidDefinition,
      `projection ${name}: define exactly one of handle (batch), handlers (per event type) or handleSums (with fold)`,
    );
  }
  if ((fold === undefined) !== (handleSums === undefined) || (fold && (typeof fold.groupBy !== 'string' || fold.groupBy === '' || Object.keys(fold.sum ?? {}).length === 0))) {
    throw new ProjectionError(ProjectionErrorCode.InvalidDefinition, `projection ${name}: a fold (groupBy, sum per event type) goes with handleSums, and only with it`);
  }
  const interval = definition.minBatchIntervalMs;
  if (interval !== undefined && !(Number.isFinite(interval) && interval >= 0)) {
    throw new ProjectionError(ProjectionErrorCode.InvalidDefinition, `projection ${name}: minBatchIntervalMs must be a finite number of ms, 0 or more`);
  }
  const eventTypes = definition.eventTypes ?? (handlers ? Object.keys(handlers) : fold ? Object.keys(fold.sum) : undefined);
  return Object.freeze({ ...definition, eventTypes });
}

/** The advisory-lock key that elects a projection's active runner (also taken by a rebuild's swap). */
export function projectionLockKey(name: string): string {
  return `${PROJECTION_LOCK_PREFIX}${name}`;
}

export const PROJECTION_LOCK_PREFIX = 'steward.projection:';

/** The live schema of a projection's read model: query it with `db.withSchema(projectionSchema(name))`. */
export function projectionSchema(name: string): string {
  return `rm_${name.replace(/-/g, '_')}`;
}

/**
 * The PostgreSQL NOTIFY channel a projection signals on each time its live read model changes (a
 * batch applied, a rebuild swapped in), sent inside the transaction of the change so that a listener
 * hears it only once the change is visible. Caches of read-model answers listen to it.
 */
export function readModelChannel(name: string): string {
  return `steward_rm_${name.replace(/[^A-Za-z0-9_]/g, '_')}`.slice(0, 63);
}

/** The store filter for a projection (undefined: every event). */
export function projectionFilter(definition: ProjectionDefinition): EventFilter | undefined {
  const { eventTypes, streamPrefixes } = definition;
  if (!eventTypes?.length && !streamPrefixes?.length) return undefined;
  return {
    ...(eventTypes?.length ? { eventTypes } : {}),
    ...(streamPrefixes?.length ? { streamPrefixes } : {}),
  };
}

/** How narrowly the store may read a projection's events (its `withoutMetadata`, `dataFields` and `metadataFields`). */
export function projectionReadOptions(definition: ProjectionDefinition): Pick<ReadAllOptions, 'withoutMetadata' | 'dataFields' | 'metadataFields'> {
  return {
    ...(definition.withoutMetadata ? { withoutMetadata: true } : {}),
    ...(definition.dataFields ? { dataFields: definition.dataFields } : {}),
    ...(definition.metadataFields ? { metadataFields: definition.metadataFields } : {}),
  };
}

/** Applies a batch with whichever handler form the projection uses. */
export async function applyEvents(
  definition: ProjectionDefinition,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  trx: Transaction<any>,
  events: readonly RecordedEvent[],
  context: ProjectionContext,
): Promise<void> {
  if (definition.fold) {
    throw new ProjectionError(ProjectionErrorCode.InvalidDefinition, `projection ${definition.name} folds sums: it has no events to apply one by one (no rebuild, no quarantine replay)`);
  }
  if (events.length === 0) return;
  if (definition.handle) {
    await definition.handle(trx, events, context);
    return;
  }
  const handlers = definition.handlers ?? {};
  for (const event of events) {
    const handler = handlers[event.type];
    if (handler) await handler(trx, event, context);
  }
}
