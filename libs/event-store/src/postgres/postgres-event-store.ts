import type pg from 'pg';
import {
  type AppendNewRequest,
  type AppendNewResult,
  type AppendRequest,
  type AppendResult,
  type EventStore,
  EventStoreError,
  EventStoreErrorCode,
  type ExpectedRevision,
  type GlobalPosition,
  type NewEvent,
  type ReadAllOptions,
  type ReadAllPage,
  type ReadStreamOptions,
  type EventFilter,
  type SubscribeToSumsOptions,
  type SumAllOptions,
  type SumAllPage,
  type SumSubscription,
  SumAccumulator,
  type RecordedEvent,
  START,
  type SubscribeOptions,
  UNREAD_METADATA,
  type Subscription,
  comparePositions,
  parsePosition,
} from '../event-store.port';
import { EventStoreSpans, traced } from '../event-store.tracing';
import {
  type PreparedRequest,
  describeRevision,
  prepareNewRequests,
  prepareRequests,
  validateReadAll,
  validateReadStream,
  validateSumAll,
} from '../event-store.validation';
import { appendNewResult, appendNewSql, runAppendNew } from './postgres-append-new';
import { pickFields, scanFields } from './json-fields';
import { PostgresNotifier } from './postgres-notifier';
import {
  APPEND_CONFLICT_CODE,
  MIGRATIONS,
  assertSchemaName,
  jsonArrayParam,
  likePrefixPattern,
  migrationLockKey,
  notifyChannel,
  positionFromRow,
  positionParams,
  quoteIdentifier,
  renderMigration,
} from './postgres-sql';
import { PostgresSubscription, PostgresSumSubscription } from './postgres-subscription';

export interface PostgresEventStoreOptions {
  /** Used for appends and reads. The store never ends it: its owner does. */
  readonly pool: pg.Pool;
  /** Schema holding the store's tables; default `steward_events`. */
  readonly schema?: string;
  /** For the LISTEN connection of subscriptions; without it one client is taken from the pool (per store). */
  readonly connectionString?: string;
}

export const DEFAULT_EVENT_STORE_SCHEMA = 'steward_events';
export const DEFAULT_READ_PAGE_SIZE = 1000;
/** Events a sumAll folds at most by default: the page's events are folded as they arrive, never kept. */
export const DEFAULT_SUM_PAGE_SIZE = 10_000;

/** A read page plus what the subscription needs to decide how soon to read again. */
export interface PostgresReadAllPage extends ReadAllPage {
  /** Committed rows exist beyond the visibility horizon: an older transaction is still open. */
  readonly heldBack: boolean;
}

/** A readAll row: either the page's one meta row (horizon, head, held-back; event columns NULL) or an event (meta columns NULL). */
interface EventRow {
  xmin: string | null;
  head_tx: string | null;
  head_gp: string | null;
  held_back: boolean | null;
  gp: string | null;
  tx: string | null;
  event_id: string;
  stream_id: string;
  stream_revision: string;
  event_type: string;
  event_version: number;
  /** JSON text: selected as text, so a change of the column's type never changes a prepared statement's result type. */
  data: string;
  /** NULL when read `withoutMetadata`. */
  metadata: string | null;
  /** recorded_at in whole epoch milliseconds (what a Date holds), cheaper to send and read than a timestamptz text. */
  recorded_ms: string;
}

/** A NOTIFY payload names at most this many types (more: the empty payload, which wakes every subscription). */
const MAX_NOTIFIED_TYPES = 32;

/** The NOTIFY payload for appends of these event types: a JSON array, or '' (anything) when there are too many. */
export function appendedTypesPayload(types: ReadonlySet<string>): string {
  if (types.size === 0 || types.size > MAX_NOTIFIED_TYPES) return '';
  const payload = JSON.stringify([...types]);
  return payload.length > 4000 ? '' : payload;
}

/** Whether appends of `types` may hold events a subscription with `filter` reads (undefined: no filter on types). */
export function concernedBy(filter: EventFilter | undefined): ((types: readonly string[]) => boolean) | undefined {
  const wanted = filter?.eventTypes?.length ? new Set(filter.eventTypes) : undefined;
  const excluded = filter?.excludeEventTypes?.length ? new Set(filter.excludeEventTypes) : undefined;
  if (!wanted && !excluded) return undefined;
  return (types) => types.some((type) => (!wanted || wanted.has(type)) && !excluded?.has(type));
}

/** A row of the client-side fold: the meta row (tx NULL) or an event's position, type and (folded types) data. */
interface FoldRow {
  head_tx: string | null;
  head_gp: string | null;
  held_back: boolean | null;
  tx: string | null;
  gp: string | null;
  t: string | null;
  d: string | null;
}

/** Whether row a's position lies before row b's, comparing the decimal texts (no BigInt per row). */
function textPositionBefore(a: FoldRow, b: FoldRow): boolean {
  const byNumber = (x: string, y: string) => (x.length !== y.length ? x.length - y.length : x < y ? -1 : x > y ? 1 : 0);
  const tx = byNumber(a.tx!, b.tx!);
  return tx !== 0 ? tx < 0 : byNumber(a.gp!, b.gp!) < 0;
}

/** A sumAll page plus the subscription's `heldBack` hint. */
export interface PostgresSumAllPage extends SumAllPage {
  readonly heldBack: boolean;
}

type StreamRow = Omit<EventRow, 'xmin' | 'head_tx' | 'head_gp' | 'held_back'>;

/** Outcome of one request inside a transaction. */
type RequestOutcome =
  | { kind: 'write'; firstRevision: bigint; nextRevision: bigint }
  | { kind: 'idempotent'; revision: bigint; position: GlobalPosition };

/** A timestamptz as whole epoch milliseconds (exact numeric arithmetic; truncated like a Date). */
const RECORDED_MS = (column: string) => `floor(extract(epoch FROM ${column}) * 1000)::int8::text AS recorded_ms`;

const UNIQUE_VIOLATION = '23505';
/** How often appendNew runs its statement again after losing a race on an event id (or a deadlock). */
const APPEND_NEW_ATTEMPTS = 10;
/**
 * Errors of the one-statement append that the general path answers exactly:
 * an expected revision that does not hold (or a retry of a stored append), a
 * concurrent append of the same event ids, a deadlock or serialization failure.
 */
const FALL_BACK_CODES = new Set([APPEND_CONFLICT_CODE, UNIQUE_VIOLATION, '40P01', '40001']);

/**
 * CTE `snap(xmin)`: the visibility horizon of this statement's snapshot. Rows
 * whose transaction id lies below it are final (committed or rolled back).
 * It is pg_snapshot_xmin(pg_current_snapshot()), except that transactions
 * running in other databases of the server are passed over: they cannot write
 * this database's events, and a long one (a bulk load, a benchmark, another
 * test) would otherwise stall every reader. A running xid whose database is
 * not known (already ended, prepared, or hidden from this role) still counts.
 * pg_current_snapshot() is the statement's snapshot, taken before
 * pg_stat_activity is read, so nothing that ends in between is passed over.
 */
export const VISIBILITY_HORIZON = `
  current_snap AS MATERIALIZED (SELECT pg_current_snapshot() AS s),
  foreign_xids AS MATERIALIZED (
    SELECT a.backend_xid::text::bigint AS xid32
      FROM pg_stat_activity a
     WHERE a.backend_xid IS NOT NULL
       AND a.datid IS DISTINCT FROM (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
  ),
  snap AS MATERIALIZED (
    SELECT coalesce(
             (SELECT min(x)
                FROM pg_snapshot_xip(c.s) AS x
               WHERE NOT EXISTS (SELECT 1 FROM foreign_xids f WHERE f.xid32 = x::text::bigint % 4294967296)),
             pg_snapshot_xmax(c.s)) AS xmin
      FROM current_snap c
  )`;

/**
 * The event store on PostgreSQL (DESIGN §4). Global order is
 * `(transaction_id, global_position)`; readers only see rows whose transaction
 * id lies below the oldest transaction still running, so an append that
 * commits late is never skipped and a rolled-back one leaves a harmless gap.
 */
export class PostgresEventStore implements EventStore {
  readonly schema: string;
  private readonly pool: pg.Pool;
  private readonly s: string;
  private readonly channel: string;
  private readonly notifier: PostgresNotifier;
  private readonly subscriptions = new Set<{ close(): Promise<void> }>();
  private readonly appendSql: string;
  private appendNewStatement: string | undefined;
  /** The post-commit NOTIFY in flight, if any, and whether another is owed after it. */
  private notifying: Promise<void> | undefined;
  private notifyAgain = false;
  /** The types of the events committed since the last NOTIFY was sent. */
  private typesToNotify = new Set<string>();

  constructor(options: PostgresEventStoreOptions) {
    this.pool = options.pool;
    this.schema = options.schema ?? DEFAULT_EVENT_STORE_SCHEMA;
    assertSchemaName(this.schema);
    this.s = quoteIdentifier(this.schema);
    this.channel = notifyChannel(this.schema);
    this.notifier = new PostgresNotifier({
      pool: this.pool,
      channel: this.channel,
      ...(options.connectionString ? { connectionString: options.connectionString } : {}),
    });
    this.appendSql = oneStatementAppendSql(this.s);
  }

  /**
   * Creates or upgrades the schema. Idempotent; safe when several processes
   * migrate at once (they serialise on an advisory lock). Applied versions are
   * recorded in `<schema>.migrations`.
   */
  async migrate(): Promise<void> {
    const client = await this.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [migrationLockKey(this.schema)]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.s}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.s}.migrations (
           version int PRIMARY KEY,
           name text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${this.s}.migrations`);
      const applied = new Set(rows.map((row) => row.version));
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        await client.query(renderMigration(migration, this.schema));
        await client.query(`INSERT INTO ${this.s}.migrations (version, name) VALUES ($1, $2)`, [
          migration.version,
          migration.name,
        ]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw toStoreError(error);
    } finally {
      client.release();
    }
  }

  append(streamId: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    return traced(
      EventStoreSpans.Append,
      { 'db.system': 'postgresql', 'event_store.stream_id': String(streamId), 'event_store.event_count': events?.length ?? 0 },
      async (span) => {
        const [result] = await this.appendPrepared(prepareRequests([{ streamId, events, expectedRevision: options?.expectedRevision }]));
        span.setAttribute('event_store.written', result!.written);
        return result!;
      },
    );
  }

  appendMany(requests: readonly AppendRequest[]): Promise<AppendResult[]> {
    return traced(
      EventStoreSpans.Append,
      {
        'db.system': 'postgresql',
        'event_store.stream_id': (requests ?? []).map((r) => String(r?.streamId)),
        'event_store.event_count': (requests ?? []).reduce((n, r) => n + (r?.events?.length ?? 0), 0),
      },
      async (span) => {
        const results = await this.appendPrepared(prepareRequests(requests));
        span.setAttribute('event_store.written', results.some((r) => r.written));
        return results;
      },
    );
  }

  /**
   * The deduplicating append (see the port): one statement, so one transaction, decides which ids are new
   * and writes them. A concurrent writer of the same ids makes it fail on the unique event-id index (or
   * deadlock): it then runs again, and sees those ids as stored.
   */
  appendNew(requests: readonly AppendNewRequest[]): Promise<AppendNewResult> {
    return traced(
      EventStoreSpans.Append,
      {
        'db.system': 'postgresql',
        'event_store.dedup': true,
        'event_store.event_count': (requests ?? []).reduce((n, r) => n + (r?.events?.length ?? 0), 0),
      },
      async (span) => {
        const { events, duplicates } = prepareNewRequests(requests);
        this.appendNewStatement ??= appendNewSql(this.s);
        for (let attempt = 1; ; attempt++) {
          try {
            const outcome = await runAppendNew(this.pool, this.statementName('append_new'), this.appendNewStatement, events, compareStreamIds);
            if (outcome.written > 0) this.notifyCommitted(events);
            span.setAttribute('event_store.written', outcome.written);
            span.setAttribute('event_store.duplicates', duplicates.length + outcome.duplicates.length);
            return appendNewResult(outcome.written, outcome.streamRevisions, [...duplicates, ...outcome.duplicates]);
          } catch (error) {
            const retry = isEventIdViolation(error) || pgCode(error) === '40P01' || pgCode(error) === '40001';
            if (!retry || attempt >= APPEND_NEW_ATTEMPTS) throw toStoreError(error);
            span.addEvent('event_store.append_new.retry', { attempt, 'db.error_code': pgCode(error) ?? '' });
            await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
          }
        }
      },
    );
  }

  /**
   * Appends on `client`, inside the transaction the caller has already begun,
   * through the same SQL as `append` (its one-statement append under a
   * savepoint, then the general path when that reports a conflict), with the
   * NOTIFY inside the caller's transaction, so it is sent on commit.
   * Nothing is committed: the caller commits or rolls back. Used by fault tests
   * (an append that commits late or rolls back) and by callers that must write
   * events together with their own rows. A concurrent append of the same event
   * ids surfaces here as WrongExpectedRevision (the transaction is then aborted).
   */
  async appendWithin(
    client: pg.ClientBase,
    streamId: string,
    events: readonly NewEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    const requests = prepareRequests([{ streamId, events, expectedRevision: options?.expectedRevision }]);
    try {
      // The append's own statement under a savepoint (its conflict error must
      // not abort the caller's transaction), then the general path; the NOTIFY
      // goes with the caller's commit.
      await client.query('SAVEPOINT steward_append');
      let results: AppendResult[] | undefined;
      try {
        results = await this.appendInOneStatement(client, requests);
        await client.query(results ? 'RELEASE SAVEPOINT steward_append' : 'ROLLBACK TO SAVEPOINT steward_append');
      } catch (error) {
        if (!FALL_BACK_CODES.has(pgCode(error) ?? '')) throw error;
        await client.query('ROLLBACK TO SAVEPOINT steward_append');
      }
      results ??= await this.writeRequests(client, requests, new Map());
      await client.query('SELECT pg_notify($1, \'\')', [this.channel]);
      return results[0]!;
    } catch (error) {
      if (isEventIdViolation(error)) {
        throw new EventStoreError(EventStoreErrorCode.WrongExpectedRevision, 'event ids were appended concurrently', {
          streamId,
          expected: describeRevision(options.expectedRevision),
        }, { cause: error });
      }
      throw toStoreError(error);
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    validateReadStream(streamId, options);
    const backwards = options.direction === 'backwards';
    const params: unknown[] = [streamId];
    let where = 'stream_id = $1';
    if (options.fromRevision !== undefined) {
      params.push(options.fromRevision.toString());
      where += ` AND stream_revision ${backwards ? '<=' : '>='} $2::bigint`;
    }
    params.push(options.maxCount ?? null);
    const sql = `
      SELECT global_position::text AS gp, transaction_id::text AS tx, event_id::text AS event_id, stream_id,
             stream_revision::text AS stream_revision, event_type, event_version,
             data::text AS data, metadata::text AS metadata, ${RECORDED_MS('recorded_at')}
        FROM ${this.s}.events
       WHERE ${where}
       ORDER BY events.stream_revision ${backwards ? 'DESC' : 'ASC'}
       LIMIT $${params.length}::int`;
    const { rows } = await this.query<StreamRow>(sql, params, `read_stream_${backwards ? 'b' : 'f'}${options.fromRevision === undefined ? '' : 'r'}`);
    return rows.map((row) => toRecordedEvent(row));
  }

  readAll(options: ReadAllOptions = {}): Promise<ReadAllPage> {
    return traced(EventStoreSpans.ReadAll, { 'db.system': 'postgresql' }, async (span) => {
      const page = await this.readPage(options);
      span.setAttribute('event_store.event_count', page.events.length);
      return { events: page.events, checkpoint: page.checkpoint, isEnd: page.isEnd };
    });
  }

  /**
   * What readAll reads, as SQL: `source` (rows `e` of the events table, or of a UNION ALL of per-type
   * range scans) after `from` ($1, $2) and below the horizon, at most $3 (`limit + 1`) per branch, with
   * its parameters and the name of its shape (per number of types, with or without prefixes / excluded types).
   */
  /** `columns`: what each type's branch carries (through its sort, when the server sorts): a fold needs four. */
  private pageSource(from: GlobalPosition, limit: number, filterOptions: EventFilter | undefined, columns = 'e.*') {
    const params: unknown[] = [...positionParams(from), limit + 1];
    let filter = '';
    const prefixes = filterOptions?.streamPrefixes;
    if (prefixes && prefixes.length > 0) {
      params.push(prefixes.map(likePrefixPattern));
      filter += ` AND e.stream_id LIKE ANY($${params.length}::text[])`;
    }
    const excluded = filterOptions?.excludeEventTypes;
    if (excluded && excluded.length > 0) {
      params.push([...excluded]);
      filter += ` AND e.event_type <> ALL($${params.length}::text[])`;
    }
    const range = `(e.transaction_id, e.global_position) > ($1::xid8, $2::bigint)
             AND e.transaction_id < (SELECT snap.xmin FROM snap)${filter}`;
    // With a type filter, one ordered range scan of events_type_idx per type
    // (event_type = $n), merged in order and cut at the limit: each reads at
    // most a page. (An event_type = ANY(...) condition cannot be read in
    // position order from that index: the server would fetch and sort every
    // matching row after `from` for every page.)
    const types = [...new Set(filterOptions?.eventTypes ?? [])];
    let source = `${this.s}.events e WHERE ${range}`;
    if (types.length > 0) {
      const branches = types.map((type) => {
        params.push(type);
        return `(SELECT ${columns} FROM ${this.s}.events e
                  WHERE e.event_type = $${params.length}::text AND ${range}
                  ORDER BY e.transaction_id, e.global_position
                  LIMIT $3::int)`;
      });
      source = `(${branches.join(' UNION ALL ')}) AS e`;
    }
    const shape = `${types.length > 0 ? `t${types.length}` : ''}${prefixes?.length ? 'p' : ''}${excluded?.length ? 'x' : ''}`;
    return { params, source, shape, prefixes, excluded, types };
  }

  /** The meta CTE of a page read: the head below the horizon, and whether committed rows wait beyond it. */
  private metaCte(): string {
    return `meta AS MATERIALIZED (
        SELECT (SELECT snap.xmin::text FROM snap) AS xmin,
               h.head_tx, h.head_gp,
               coalesce((SELECT max(e.transaction_id) FROM ${this.s}.events e) >= (SELECT snap.xmin FROM snap), false) AS held_back
          FROM (SELECT 1) AS one
          LEFT JOIN (
            SELECT e.transaction_id::text AS head_tx, e.global_position::text AS head_gp
              FROM ${this.s}.events e
             WHERE e.transaction_id < (SELECT snap.xmin FROM snap)
             ORDER BY e.transaction_id DESC, e.global_position DESC
             LIMIT 1
          ) AS h ON true
      )`;
  }

  sumAll(options: SumAllOptions): Promise<SumAllPage> {
    return traced(EventStoreSpans.SumAll, { 'db.system': 'postgresql' }, async (span) => {
      const page = await this.sumPage(options);
      span.setAttribute('event_store.group_count', page.groups.length);
      return { groups: page.groups, checkpoint: page.checkpoint, isEnd: page.isEnd };
    });
  }

  /**
   * `sumAll` plus the `heldBack` hint: the page readAll would read (the same source, order, limit, horizon
   * and meta row), with only each event's position, type and (for the folded types) data text; the two
   * fields (and the span field, if asked) are scanned out of the text (scanFields, no document built) and added up here, exactly.
   * Measured against folding in SQL (json_to_record + sum(numeric) per group, one row per group sent):
   * PostgreSQL's json parser cost the server more (≈ 7 µs per usage event) than sending the text and
   * scanning it here (≈ 1.3 µs server + 3 µs client), and the server is the one every process shares.
   */
  async sumPage(options: SumAllOptions): Promise<PostgresSumAllPage> {
    validateSumAll(options);
    const from = options.from ?? START;
    const limit = options.maxCount ?? DEFAULT_SUM_PAGE_SIZE;
    const { params, source, shape } = this.pageSource(from, limit, options.filter, 'e.transaction_id, e.global_position, e.event_type, e.data');
    const sumTypes = Object.keys(options.sum);
    params.push(sumTypes);
    const sql = `
      WITH ${VISIBILITY_HORIZON},
      ${this.metaCte()}
      SELECT meta.head_tx, meta.head_gp, meta.held_back, NULL::text AS tx, NULL::text AS gp, NULL::text AS t, NULL::text AS d
        FROM meta
      UNION ALL
      SELECT NULL, NULL, NULL, page.*
        FROM (
          SELECT e.transaction_id::text AS tx, e.global_position::text AS gp, e.event_type AS t,
                 CASE WHEN e.event_type = ANY($${params.length}::text[]) THEN e.data::text END AS d
            FROM ${source}
           ORDER BY e.transaction_id, e.global_position
           LIMIT $3::int
        ) AS page`;
    const { rows } = await this.query<FoldRow>(sql, params, `sum_client_${shape}`);
    let meta: FoldRow | undefined;
    const page: FoldRow[] = [];
    let ordered = true;
    for (const row of rows) {
      if (row.tx === null) meta = row;
      else {
        const previous = page.at(-1);
        if (previous && !textPositionBefore(previous, row)) ordered = false;
        page.push(row);
      }
    }
    if (!ordered) page.sort((a, b) => comparePositions(positionFromRow(a.tx!, a.gp!), positionFromRow(b.tx!, b.gp!)));
    const hasMore = page.length > limit;
    if (hasMore) page.length = limit;
    const sums = new SumAccumulator<FoldRow>(options.span !== undefined);
    for (const row of page) {
      if (row.d === null) continue;
      const [key, value, instant] = scanFields(row.d, options.groupBy, options.sum[row.t!]!, options.span);
      sums.add(key, value, row, instant);
    }
    let checkpoint = from;
    const last = page.at(-1);
    if (last) {
      const position = positionFromRow(last.tx!, last.gp!);
      if (comparePositions(position, checkpoint) > 0) checkpoint = position;
    }
    if (!hasMore && meta?.head_tx && meta.head_gp) {
      const head = positionFromRow(meta.head_tx, meta.head_gp);
      if (comparePositions(head, checkpoint) > 0) checkpoint = head;
    }
    return { groups: sums.groupsWith((row) => positionFromRow(row.tx!, row.gp!)), checkpoint, isEnd: !hasMore, heldBack: meta?.held_back ?? false };
  }

  subscribeToSums(options: SubscribeToSumsOptions): SumSubscription {
    validateSumAll(options);
    const subscription = new PostgresSumSubscription({
      read: (from) => this.sumPage({ ...options, from }),
      concerns: concernedBy(options.filter),
      notifier: this.notifier,
      from: options.from ?? START,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      onClose: (s) => this.subscriptions.delete(s),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** `readAll` plus the `heldBack` hint the subscription uses to retry soon. */
  async readPage(options: ReadAllOptions = {}): Promise<PostgresReadAllPage> {
    validateReadAll(options);
    const from = options.from ?? START;
    const limit = options.maxCount ?? DEFAULT_READ_PAGE_SIZE;
    const { params, source, shape } = this.pageSource(from, limit, options.filter);
    // One statement, one snapshot: the horizon, the page below it, the highest
    // visible position, and whether committed rows wait beyond the horizon.
    // `meta` is one row computed once (head and held_back are single index
    // probes bounded by the horizon, an InitPlan parameter), sent once, ahead
    // of the page (its columns NULL in the page's rows: nothing to decode ten
    // thousand times); the page is an ordered index range scan. The rows are
    // put in order here, which costs nothing when they already are.
    const sql = `
      WITH ${VISIBILITY_HORIZON},
      ${this.metaCte()}
      SELECT meta.xmin, meta.head_tx, meta.head_gp, meta.held_back,
             NULL::text AS gp, NULL::text AS tx, NULL::text AS event_id, NULL::text AS stream_id, NULL::text AS stream_revision,
             NULL::text AS event_type, NULL::int AS event_version, NULL::text AS data, NULL::text AS metadata, NULL::text AS recorded_ms
        FROM meta
      UNION ALL
      SELECT NULL, NULL, NULL, NULL, page.*
        FROM (
          SELECT e.global_position::text AS gp, e.transaction_id::text AS tx, e.event_id::text AS event_id, e.stream_id,
                 e.stream_revision::text AS stream_revision, e.event_type, e.event_version,
                 e.data::text AS data, ${options.withoutMetadata ? 'NULL::text' : 'e.metadata::text'} AS metadata, ${RECORDED_MS('e.recorded_at')}
            FROM ${source}
           ORDER BY e.transaction_id, e.global_position
           LIMIT $3::int
        ) AS page`;
    // One prepared statement per shape: per number of types, with or without prefixes.
    const name = `read_all_${shape}${options.withoutMetadata ? 'n' : ''}`;
    const { rows } = await this.query<EventRow>(sql, params, name);
    let meta: EventRow | undefined;
    const events: RecordedEvent[] = [];
    for (const row of rows) {
      if (row.gp === null) meta = row;
      else events.push(toRecordedEvent(row, options.dataFields, options.metadataFields));
    }
    events.sort((a, b) => comparePositions(a.position, b.position));
    const hasMore = events.length > limit;
    if (hasMore) events.length = limit;
    let checkpoint = from;
    const last = events.at(-1);
    if (last && comparePositions(last.position, checkpoint) > 0) checkpoint = last.position;
    if (!hasMore && meta?.head_tx && meta.head_gp) {
      // Everything visible after `from` was read: even when a filter skipped
      // rows, resume after the highest visible one (all below the horizon are final).
      const head = positionFromRow(meta.head_tx, meta.head_gp);
      if (comparePositions(head, checkpoint) > 0) checkpoint = head;
    }
    return { events, checkpoint, isEnd: !hasMore, heldBack: meta?.held_back ?? false };
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    validateReadAll(options);
    const subscription = new PostgresSubscription({
      read: (from) => this.readPage({ ...options, from }),
      concerns: concernedBy(options.filter),
      notifier: this.notifier,
      from: options.from ?? START,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      onClose: (s) => this.subscriptions.delete(s),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<GlobalPosition> {
    const { rows } = await this.query<{ tx: string; gp: string }>(
      `WITH ${VISIBILITY_HORIZON}
       SELECT e.transaction_id::text AS tx, e.global_position::text AS gp
         FROM ${this.s}.events e, snap
        WHERE e.transaction_id < snap.xmin
        ORDER BY e.transaction_id DESC, e.global_position DESC
        LIMIT 1`,
      [],
      'head_position',
    );
    const row = rows[0];
    return row ? positionFromRow(row.tx, row.gp) : START;
  }

  /** Ends every subscription and releases the LISTEN connection; the pool stays open. */
  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.notifier.close();
    await this.notifying;
  }

  private async appendPrepared(requests: PreparedRequest[]): Promise<AppendResult[]> {
    // The common case in one round trip: one autocommitted statement claims the
    // revisions of every stream, checks them, and inserts every event.
    try {
      const results = await this.appendInOneStatement(this.pool, requests);
      if (results) {
        this.notifyCommitted(requests.flatMap((request) => request.events));
        return results;
      }
    } catch (error) {
      if (!FALL_BACK_CODES.has(pgCode(error) ?? '')) throw toStoreError(error);
      // Nothing was written (the statement aborted). The general path below
      // tells a conflict from an idempotent retry and names the stream.
    }
    const results = await this.appendInTransaction(requests);
    if (results.some((r) => r.written)) this.notifyCommitted(requests.flatMap((request) => request.events));
    return results;
  }

  /**
   * One statement: claims the revisions of all streams in lock order (the
   * order that keeps concurrent multi-stream appends from deadlocking),
   * checks every expected revision, inserts all events in request order, and
   * returns each stream's new revision. When a check fails it raises
   * APPEND_CONFLICT_CODE, undoing the whole statement; undefined when nothing
   * could be claimed (nothing written either). Both cases go to the general
   * path.
   */
  private async appendInOneStatement(
    runner: pg.Pool | pg.ClientBase,
    requests: readonly PreparedRequest[],
  ): Promise<AppendResult[] | undefined> {
    const kinds: string[] = [];
    const expected: (string | null)[] = [];
    const counts: number[] = [];
    requests.forEach((request) => {
      const revision = request.expectedRevision;
      kinds.push(typeof revision === 'bigint' ? 'exact' : revision);
      expected.push(typeof revision === 'bigint' ? revision.toString() : null);
      counts.push(request.events.length);
    });
    const { rows } = await runner.query<{ stream_id: string; revision: string; tx: string; gp: string | null }>({
      name: this.statementName('append'),
      text: this.appendSql,
      values: [
        requests.map((r) => r.streamId),
        kinds,
        expected,
        counts,
        lockRanks(requests),
        ...eventParams(requests),
      ],
    });
    // No rows: no stream could be claimed, so nothing was written (the abort
    // fires only once something was claimed).
    if (rows.length !== requests.length) return undefined;
    const byStream = new Map(rows.map((row) => [row.stream_id, row]));
    return requests.map((request) => {
      const row = byStream.get(request.streamId)!;
      return { nextExpectedRevision: BigInt(row.revision), written: true, position: positionFromRow(row.tx, row.gp!) };
    });
  }

  /**
   * Wakes subscribers after a commit. A NOTIFY inside the append transaction
   * would take PostgreSQL's notify lock until the commit is flushed and so
   * serialize every concurrent append's commit (no group commit). Instead each
   * store sends at most one NOTIFY at a time, autocommitted, after its appends
   * commit; appends committing meanwhile are covered by one more NOTIFY after
   * it. The price: a crash between commit and NOTIFY loses the wake-up, and
   * subscribers then see the events at their fallback poll (late, never lost).
   * The payload names the event types the NOTIFY covers (appendedTypesPayload),
   * so that a subscription filtered to other types is not woken to read nothing.
   */
  private notifyCommitted(events: readonly { readonly type: string }[]): void {
    for (const event of events) this.typesToNotify.add(event.type);
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = (async () => {
      do {
        this.notifyAgain = false;
        const payload = appendedTypesPayload(this.typesToNotify);
        this.typesToNotify = new Set();
        try {
          await this.pool.query('SELECT pg_notify($1, $2)', [this.channel, payload]);
        } catch {
          // Subscribers fall back to polling; the append itself has committed.
        }
      } while (this.notifyAgain);
      this.notifying = undefined;
    })();
  }

  /** The general path: per-request claims in one transaction, with idempotency checks and retries. */
  private async appendInTransaction(requests: PreparedRequest[]): Promise<AppendResult[]> {
    // Requests found to be already stored (after a unique violation on an event id).
    let known = new Map<number, AppendResult>();
    for (let attempt = 0; ; attempt++) {
      const client = await this.connect();
      try {
        await client.query('BEGIN');
        const results = await this.writeRequests(client, requests, known);
        await client.query('COMMIT');
        return results;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        if (!isEventIdViolation(error)) throw toStoreError(error);
        if (attempt >= 2) {
          throw new EventStoreError(EventStoreErrorCode.WrongExpectedRevision, 'event ids were appended concurrently', {
            streamId: requests[0]!.streamId,
          }, { cause: error });
        }
        // Another transaction stored some of these ids meanwhile: find out which
        // requests are now complete repeats (or misuse), then try again.
        known = await this.findStored(client, requests);
      } finally {
        client.release();
      }
    }
  }

  /** The general append path: per-request expected-revision checks, then one INSERT of all events. */
  private async writeRequests(
    client: pg.ClientBase,
    requests: readonly PreparedRequest[],
    known: ReadonlyMap<number, AppendResult>,
  ): Promise<AppendResult[]> {
    const outcomes = new Map<number, RequestOutcome>();
    // Take the stream locks in a stable order so concurrent multi-stream appends cannot deadlock.
    const order = requests.map((_, i) => i).filter((i) => !known.has(i));
    order.sort((a, b) => compareStreamIds(requests[a]!.streamId, requests[b]!.streamId));
    for (const i of order) outcomes.set(i, await this.claimRevisions(client, requests[i]!));

    const written: PreparedRequest[] = [];
    const first: string[] = [];
    requests.forEach((request, i) => {
      const outcome = outcomes.get(i);
      if (outcome?.kind !== 'write') return;
      written.push(request);
      first.push(outcome.firstRevision.toString());
    });
    const positions = new Map<string, GlobalPosition>();
    if (written.length > 0) {
      const { rows } = await client.query<{ stream_id: string; tx: string; gp: string }>({
        name: this.statementName('append_general'),
        text: `INSERT INTO ${this.s}.events (event_id, stream_id, stream_revision, event_type, event_version, data, metadata)
               SELECT e.i, ($1::text[])[e.r], ($2::bigint[])[e.r] + e.k, e.t, e.v, e.d, e.m
                 FROM unnest($3::uuid[], $4::int[], $5::int[], $6::text[], $7::int[], $8::json[], $9::json[]) AS e(i, r, k, t, v, d, m)
                WHERE NOT $10::boolean OR (e.d::jsonb, e.m::jsonb) IS NOT NULL
               RETURNING stream_id, transaction_id::text AS tx, global_position::text AS gp`,
        values: [
          written.map((request) => request.streamId),
          first,
          ...eventParams(written),
        ],
      });
      for (const row of rows) {
        const position = positionFromRow(row.tx, row.gp);
        const before = positions.get(row.stream_id);
        if (!before || comparePositions(position, before) > 0) positions.set(row.stream_id, position);
      }
    }
    return requests.map((request, i) => {
      const done = known.get(i);
      if (done) return done;
      const outcome = outcomes.get(i)!;
      return outcome.kind === 'write'
        ? { nextExpectedRevision: outcome.nextRevision, written: true, position: positions.get(request.streamId)! }
        : { nextExpectedRevision: outcome.revision, written: false, position: outcome.position };
    });
  }

  /** Checks the expected revision and reserves the request's revisions in `streams` (row-locked until commit). */
  private async claimRevisions(client: pg.ClientBase, request: PreparedRequest): Promise<RequestOutcome> {
    const count = request.events.length;
    const expected = request.expectedRevision;
    let result: pg.QueryResult<{ revision: string }>;
    if (expected === 'no_stream') {
      result = await client.query(
        `INSERT INTO ${this.s}.streams (stream_id, revision) VALUES ($1, $2::bigint - 1)
         ON CONFLICT (stream_id) DO NOTHING RETURNING revision::text AS revision`,
        [request.streamId, count],
      );
    } else if (expected === 'any') {
      result = await client.query(
        `INSERT INTO ${this.s}.streams AS s (stream_id, revision) VALUES ($1, $2::bigint - 1)
         ON CONFLICT (stream_id) DO UPDATE SET revision = s.revision + $2::bigint RETURNING revision::text AS revision`,
        [request.streamId, count],
      );
    } else if (expected === 'stream_exists') {
      result = await client.query(
        `UPDATE ${this.s}.streams SET revision = revision + $2::bigint WHERE stream_id = $1 RETURNING revision::text AS revision`,
        [request.streamId, count],
      );
    } else {
      result = await client.query(
        `UPDATE ${this.s}.streams SET revision = revision + $2::bigint
          WHERE stream_id = $1 AND revision = $3::bigint RETURNING revision::text AS revision`,
        [request.streamId, count, expected.toString()],
      );
    }
    const row = result.rows[0];
    if (row) {
      const nextRevision = BigInt(row.revision);
      return { kind: 'write', firstRevision: nextRevision - BigInt(count) + 1n, nextRevision };
    }
    // The expected revision does not hold. A retry of an append that already
    // succeeded is not a conflict: it is answered idempotently.
    const stored = await this.checkStored(client, request);
    if (stored.kind === 'idempotent') return stored;
    throw new EventStoreError(
      EventStoreErrorCode.WrongExpectedRevision,
      `stream ${request.streamId} is at revision ${describeRevision(stored.revision)}, expected ${describeRevision(expected)}`,
      { streamId: request.streamId, expected: describeRevision(expected), actual: describeRevision(stored.revision) },
    );
  }

  /**
   * Compares the request's events with what is stored under their ids:
   * all stored with the same stream, type, version and data → idempotent;
   * some stored, or stored with other content → IdempotencyViolation.
   */
  private async checkStored(
    client: pg.ClientBase,
    request: PreparedRequest,
  ): Promise<{ kind: 'idempotent'; revision: bigint; position: GlobalPosition } | { kind: 'absent'; revision: bigint | undefined }> {
    const { rows } = await client.query<{ present: number; same: number; revision: string | null; last: string | null }>(
      `SELECT count(e.event_id)::int AS present,
              count(*) FILTER (WHERE e.stream_id = $1 AND e.event_type = i.type AND e.event_version = i.version
                                 AND CASE WHEN e.data::text = i.data::text THEN true ELSE e.data::jsonb = i.data::jsonb END)::int AS same,
              (SELECT revision::text FROM ${this.s}.streams WHERE stream_id = $1) AS revision,
              (SELECT l.transaction_id::text || '/' || l.global_position::text FROM ${this.s}.events l
                WHERE l.event_id = ANY ($2::uuid[]) ORDER BY l.transaction_id DESC, l.global_position DESC LIMIT 1) AS last
         FROM unnest($2::uuid[], $3::text[], $4::int[], $5::json[]) AS i(id, type, version, data)
         LEFT JOIN ${this.s}.events e ON e.event_id = i.id`,
      [
        request.streamId,
        request.events.map((e) => e.eventId),
        request.events.map((e) => e.type),
        request.events.map((e) => e.version),
        jsonArrayParam(request.events.map((e) => e.data)),
      ],
    );
    const row = rows[0]!;
    const revision = row.revision === null ? undefined : BigInt(row.revision);
    if (row.present === 0) return { kind: 'absent', revision };
    if (row.present === request.events.length && row.same === request.events.length && revision !== undefined && row.last !== null) {
      return { kind: 'idempotent', revision, position: parsePosition(row.last) };
    }
    throw new EventStoreError(
      EventStoreErrorCode.IdempotencyViolation,
      row.present === row.same
        ? `some of the event ids of this append to ${request.streamId} are already stored, not all`
        : `an event id of this append to ${request.streamId} is already stored with other content`,
      { streamId: request.streamId, eventIds: request.events.map((e) => e.eventId) },
    );
  }

  private async findStored(client: pg.ClientBase, requests: readonly PreparedRequest[]): Promise<Map<number, AppendResult>> {
    const known = new Map<number, AppendResult>();
    for (const [i, request] of requests.entries()) {
      const stored = await this.checkStored(client, request);
      if (stored.kind === 'idempotent') known.set(i, { nextExpectedRevision: stored.revision, written: false, position: stored.position });
    }
    return known;
  }

  /** A prepared statement's name: per schema, since the schema is part of the text. */
  private statementName(key: string): string {
    return `steward_es_${this.schema}_${key}`;
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /**
   * Statements run often are prepared once per connection (`name`): planning
   * the CTE statements costs more than running them for small appends and pages.
   */
  private async query<R extends pg.QueryResultRow>(sql: string, params: unknown[], name: string): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>({ name: this.statementName(name), text: sql, values: params });
    } catch (error) {
      throw toStoreError(error);
    }
  }
}

function toRecordedEvent(row: StreamRow, dataFields?: readonly string[], metadataFields?: readonly string[]): RecordedEvent {
  return {
    eventId: row.event_id,
    type: row.event_type,
    version: row.event_version,
    data: dataFields ? pickFields(row.data, dataFields) : JSON.parse(row.data),
    metadata:
      row.metadata === null
        ? UNREAD_METADATA
        : ((metadataFields ? pickFields(row.metadata, metadataFields) : JSON.parse(row.metadata)) as RecordedEvent['metadata']),
    streamId: row.stream_id,
    streamRevision: BigInt(row.stream_revision),
    position: positionFromRow(row.tx!, row.gp!),
    recordedAt: new Date(Number(row.recorded_ms)),
  };
}

function pgCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isEventIdViolation(error: unknown): boolean {
  return pgCode(error) === UNIQUE_VIOLATION && (error as { constraint?: string }).constraint === 'events_event_id_key';
}

/**
 * Our own errors pass through; bad data PostgreSQL refused (class 22, 54) is
 * InvalidArgument; everything else (connection loss, server errors) is
 * Unavailable: safe to retry.
 */
export function toStoreError(error: unknown): EventStoreError {
  if (error instanceof EventStoreError) return error;
  const code = pgCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code && (code.startsWith('22') || code.startsWith('54'))) {
    return new EventStoreError(EventStoreErrorCode.InvalidArgument, `event store refused the data: ${message}`, { pgCode: code }, { cause: error });
  }
  return new EventStoreError(EventStoreErrorCode.Unavailable, `event store unavailable: ${message}`, code ? { pgCode: code } : {}, {
    cause: error,
  });
}

/**
 * The events of `requests` as the append statements' per-event parameters, in
 * append order: ids, request (1-based), index in the request, type, version,
 * data and metadata (json[]), then whether a document may hold NUL.
 */
function eventParams(requests: readonly PreparedRequest[]): [string[], number[], number[], string[], number[], Buffer, Buffer, boolean] {
  const ids: string[] = [];
  const requestNumbers: number[] = [];
  const indexes: number[] = [];
  const types: string[] = [];
  const versions: number[] = [];
  const data: string[] = [];
  const metadata: string[] = [];
  requests.forEach((request, r) => {
    request.events.forEach((event, k) => {
      ids.push(event.eventId);
      requestNumbers.push(r + 1);
      indexes.push(k);
      types.push(event.type);
      versions.push(event.version);
      data.push(event.data);
      metadata.push(event.metadata);
    });
  });
  return [ids, requestNumbers, indexes, types, versions, jsonArrayParam(data), jsonArrayParam(metadata), mayHoldNul(data, metadata)];
}

/**
 * Whether a document may hold the NUL character (JSON's `\u0000` escape).
 * The json columns would store it, and every reader turning the value into
 * text (`->>`, a cast to jsonb) would then fail; such an append goes through
 * jsonb instead, which refuses it (InvalidArgument), as PostgreSQL's text does.
 * (An escaped backslash followed by `u0000` matches too: it then passes jsonb.)
 */
function mayHoldNul(data: readonly string[], metadata: readonly string[]): boolean {
  return data.some((text) => text.includes('\\u0000')) || metadata.some((text) => text.includes('\\u0000'));
}

/** The order in which an append locks its streams (both paths): by UTF-16 code units, as `<` compares. */
function compareStreamIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** For each request (in request order), its 1-based rank in lock order. */
function lockRanks(requests: readonly PreparedRequest[]): number[] {
  const order = requests.map((_, i) => i).sort((a, b) => compareStreamIds(requests[a]!.streamId, requests[b]!.streamId));
  const ranks = new Array<number>(requests.length);
  order.forEach((i, rank) => (ranks[i] = rank + 1));
  return ranks;
}

/**
 * The one-statement append. Per request: $1 stream ids, $2 kinds (any,
 * no_stream, stream_exists, exact), $3 exact expected revisions, $4 event
 * counts, $5 rank in lock order. Per event, in append order: $6 ids, $7 its
 * request (1-based), $8 its index in the request, $9 type, $10 version, $11
 * data and $12 metadata (json[], sent in binary: each document's text is
 * checked once, never parsed into a tree); $13 whether a document may hold NUL.
 *
 * `claim` upserts every stream in lock order (the order of the general path,
 * computed in JS, not by the database's collation, so the two paths never
 * lock the same streams in opposite orders): a new row for any /
 * no_stream (any other kind inserting a row is a conflict), an existing row
 * moved on only when its kind allows (any, stream_exists, exact and equal;
 * ON CONFLICT re-checks against the latest committed row after waiting for
 * its lock). `verdict` is true when every stream was claimed legitimately, and
 * holds each request's first new revision; if not, no event is inserted and
 * append_conflict() aborts the statement. The events are inserted as unnest
 * yields them, in append order (no join, no sort of the wide rows).
 */
function oneStatementAppendSql(s: string): string {
  return `
    WITH req AS MATERIALIZED (
      SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) WITH ORDINALITY AS r(stream_id, kind, expected, n, idx)
    ),
    claim AS (
      INSERT INTO ${s}.streams AS st (stream_id, revision)
      SELECT r.stream_id, r.n - 1 FROM req r ORDER BY ($5::int[])[r.idx]
      ON CONFLICT (stream_id) DO UPDATE SET revision = st.revision + excluded.revision + 1
       WHERE EXISTS (SELECT 1 FROM req r
                      WHERE r.stream_id = excluded.stream_id
                        AND (r.kind IN ('any', 'stream_exists') OR (r.kind = 'exact' AND st.revision = r.expected)))
      RETURNING st.stream_id, st.revision, (st.xmax = 0) AS created
    ),
    verdict AS MATERIALIZED (
      SELECT count(*) = (SELECT count(*) FROM req)
             AND coalesce(bool_and(NOT c.created OR r.kind IN ('any', 'no_stream')), true) AS ok,
             array_agg(c.revision - r.n + 1 ORDER BY r.idx) AS first_revisions
        FROM claim c JOIN req r USING (stream_id)
    ),
    inserted AS (
      INSERT INTO ${s}.events (event_id, stream_id, stream_revision, event_type, event_version, data, metadata)
      SELECT e.i, ($1::text[])[e.r], (SELECT v.first_revisions FROM verdict v)[e.r] + e.k, e.t, e.v, e.d, e.m
        FROM unnest($6::uuid[], $7::int[], $8::int[], $9::text[], $10::int[], $11::json[], $12::json[]) AS e(i, r, k, t, v, d, m)
       WHERE (SELECT ok FROM verdict) AND (NOT $13::boolean OR (e.d::jsonb, e.m::jsonb) IS NOT NULL)
      RETURNING stream_id, global_position
    )
    SELECT c.stream_id, c.revision::text AS revision, (SELECT count(*) FROM inserted)::int AS inserted,
           pg_current_xact_id()::text AS tx,
           (SELECT max(i.global_position) FROM inserted i WHERE i.stream_id = c.stream_id)::text AS gp
      FROM claim c
     WHERE (SELECT ok OR ${s}.append_conflict() FROM verdict)`;
}
