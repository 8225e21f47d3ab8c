import { InstantSchema } from '@steward/contracts';
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { containsPattern } from '../paging';
import { ReadModelError, ReadModelErrorCode } from '../read-model.error';
import { csvLine } from './activity-csv';
import {
  ACTIVITY_ACTIONS,
  ACTIVITY_OUTCOMES,
  type ActivityAction,
  type ActivityDB,
  type ActivityEntriesTable,
  type ActivityOutcome,
  type ActivitySource,
} from './activity-entries.table';
import { ACTIVITY_READS_SCHEMA, ACTIVITY_SCHEMA } from './activity.projection';

export interface ActivityEntry {
  readonly id: string;
  readonly organizationId: string;
  readonly workspaceId: string | null;
  readonly resourceType: string;
  readonly action: ActivityAction;
  readonly resourceId: string | null;
  readonly actor: { readonly type: string; readonly id: string };
  /** ISO 8601, UTC, microseconds. */
  readonly occurredAt: string;
  readonly outcome: ActivityOutcome;
  readonly summary: string;
  readonly source: ActivitySource;
}

export interface ActivityFilters {
  readonly resourceType?: string;
  readonly action?: ActivityAction;
  /** The actor's id (a user id, an API key id, ...). */
  readonly actor?: string;
  readonly actorType?: string;
  readonly workspaceId?: string;
  /**
   * Only the entries of these workspaces (what a workspace admin may read: `workspacesAllowed`); the
   * organization's own entries (no workspace) are then left out. Empty: nothing. Absent: no such limit.
   */
  readonly workspaceIds?: readonly string[];
  readonly outcome?: ActivityOutcome;
  /** Inclusive. */
  readonly from?: Date | string;
  /** Exclusive. */
  readonly to?: Date | string;
  /** Case-insensitive substring of the summary, the resource id or the actor id. */
  readonly search?: string;
}

export interface ActivityPageRequest extends ActivityFilters {
  /** `nextCursor` of the previous page; absent for the newest entries. */
  readonly cursor?: string;
  /** Default 50, at most 200. */
  readonly limit?: number;
}

export interface ActivityPage {
  readonly items: ActivityEntry[];
  /** Null on the last page. */
  readonly nextCursor: string | null;
}

export const DEFAULT_ACTIVITY_LIMIT = 50;
export const MAX_ACTIVITY_LIMIT = 200;

export const ACTIVITY_CSV_COLUMNS = [
  'occurred_at',
  'resource_type',
  'action',
  'resource_id',
  'actor_type',
  'actor_id',
  'outcome',
  'summary',
  'workspace_id',
  'id',
] as const;

interface Cursor {
  readonly at: string;
  readonly id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.id])).toString('base64url');
}

function decodeCursor(text: string): Cursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2) {
      const [at, id] = value as unknown[];
      // the time goes to PostgreSQL: a crafted one (year 0000, month 99) must be refused here, not fail there
      if (typeof at === 'string' && CURSOR_TIME.test(at) && InstantSchema.safeParse(at).success && typeof id === 'string' && UUID.test(id)) return { at, id };
    }
  } catch {
    // falls through to the refusal
  }
  throw new ReadModelError(ReadModelErrorCode.InvalidCursor, 'the cursor is not one this API gave out', 'cursor');
}

function timeOf(value: Date | string, field: string): Date {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new ReadModelError(ReadModelErrorCode.InvalidArgument, `${field} is not a time: ${String(value)}`, field);
  return date;
}

function checkFilters(filters: ActivityFilters): void {
  if (filters.action !== undefined && !ACTIVITY_ACTIONS.includes(filters.action)) {
    throw new ReadModelError(ReadModelErrorCode.InvalidArgument, `action must be one of ${ACTIVITY_ACTIONS.join(', ')}`);
  }
  if (filters.outcome !== undefined && !ACTIVITY_OUTCOMES.includes(filters.outcome)) {
    throw new ReadModelError(ReadModelErrorCode.InvalidArgument, `outcome must be one of ${ACTIVITY_OUTCOMES.join(', ')}`);
  }
  if (filters.search !== undefined && filters.search.length > 200) {
    throw new ReadModelError(ReadModelErrorCode.InvalidArgument, 'search is at most 200 characters');
  }
}

type Row = Omit<ActivityEntriesTable, 'occurred_at'> & { occurred_at: string };

/**
 * The organization's activity log: entries projected from team events
 * (`rm_activity`) and gateway reads (`activity_reads`), newest first, as one
 * list. Pagination is by an opaque cursor on `(occurred_at, id)` descending: an
 * entry inserted while someone pages never shifts the pages after it (unlike
 * offsets), so no entry is shown twice or skipped.
 */
export class ActivityRepository {
  constructor(private readonly deps: { readonly db: Kysely<unknown> }) {}

  private get db(): Kysely<ActivityDB> {
    return this.deps.db as Kysely<ActivityDB>;
  }

  async listActivity(organizationId: string, request: ActivityPageRequest = {}): Promise<ActivityPage> {
    const limit = request.limit ?? DEFAULT_ACTIVITY_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ACTIVITY_LIMIT) {
      throw new ReadModelError(ReadModelErrorCode.InvalidArgument, `limit must be an integer from 1 to ${MAX_ACTIVITY_LIMIT}, got ${limit}`);
    }
    checkFilters(request);
    const cursor = request.cursor ? decodeCursor(request.cursor) : undefined;
    const branch = (schema: string): SelectQueryBuilder<ActivityDB, 'activity_entries', Row> => {
      let query = this.db
        .withSchema(schema)
        .selectFrom('activity_entries')
        .select([
          'id',
          'organization_id',
          'workspace_id',
          'resource_type',
          'action',
          'resource_id',
          'actor_type',
          'actor_id',
          sql<string>`to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('occurred_at'),
          'outcome',
          'summary',
          'source',
          'event_type',
        ])
        .where('organization_id', '=', organizationId);
      if (request.resourceType !== undefined) query = query.where('resource_type', '=', request.resourceType);
      if (request.action !== undefined) query = query.where('action', '=', request.action);
      if (request.actor !== undefined) query = query.where('actor_id', '=', request.actor);
      if (request.actorType !== undefined) query = query.where('actor_type', '=', request.actorType);
      if (request.workspaceId !== undefined) query = query.where('workspace_id', '=', request.workspaceId);
      if (request.workspaceIds !== undefined) {
        query = request.workspaceIds.length === 0 ? query.where(sql<boolean>`false`) : query.where('workspace_id', 'in', [...request.workspaceIds]);
      }
      if (request.outcome !== undefined) query = query.where('outcome', '=', request.outcome);
      if (request.from !== undefined) query = query.where('occurred_at', '>=', timeOf(request.from, 'from'));
      if (request.to !== undefined) query = query.where('occurred_at', '<', timeOf(request.to, 'to'));
      if (request.search !== undefined && request.search.trim() !== '') {
        const pattern = containsPattern(request.search.trim());
        query = query.where((eb) =>
          eb.or([eb('summary', 'ilike', pattern), eb('resource_id', 'ilike', pattern), eb('actor_id', 'ilike', pattern)]),
        );
      }
      if (cursor) {
        query = query.where(sql<boolean>`(occurred_at, id) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)`);
      }
      // Each branch is limited too, so PostgreSQL reads at most limit + 1 rows from each index.
      return query.orderBy(sql`activity_entries.occurred_at`, 'desc').orderBy('id', 'desc').limit(limit + 1);
    };
    // Wrapped: a UNION operand with its own ORDER BY / LIMIT must be a subquery.
    const events = this.db.selectFrom(branch(ACTIVITY_SCHEMA).as('events')).selectAll();
    const reads = this.db.selectFrom(branch(ACTIVITY_READS_SCHEMA).as('reads')).selectAll();
    const union = this.db
      .selectFrom(events.unionAll(reads).as('entries'))
      .selectAll()
      .orderBy('occurred_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1);
    const rows = (await union.execute()) as Row[];
    const items = rows.slice(0, limit).map(toEntry);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ at: last.occurredAt, id: last.id }) : null };
  }

  /** The newest `limit` entries (the dashboard's Recent Activities). */
  async recentActivity(organizationId: string, limit = 5, filters: ActivityFilters = {}): Promise<ActivityEntry[]> {
    if (filters.workspaceIds?.length === 0) return [];
    return (await this.listActivity(organizationId, { ...filters, limit })).items;
  }

  /**
   * The filtered log as CSV lines (header first, CRLF ends), read page by page
   * so memory stays flat however long the log is. For `GET …/activity/export?format=csv`.
   */
  async *streamActivityCsv(organizationId: string, filters: ActivityFilters = {}, options: { pageSize?: number } = {}): AsyncGenerator<string> {
    checkFilters(filters);
    yield csvLine(ACTIVITY_CSV_COLUMNS);
    let cursor: string | undefined;
    do {
      const page = await this.listActivity(organizationId, {
        ...filters,
        limit: options.pageSize ?? MAX_ACTIVITY_LIMIT,
        ...(cursor ? { cursor } : {}),
      });
      for (const entry of page.items) {
        yield csvLine([
          entry.occurredAt,
          entry.resourceType,
          entry.action,
          entry.resourceId,
          entry.actor.type,
          entry.actor.id,
          entry.outcome,
          entry.summary,
          entry.workspaceId,
          entry.id,
        ]);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
}

function toEntry(row: Row): ActivityEntry {
  return {
    id: row.id,
    organizationId: row.organization_id,
    workspaceId: row.workspace_id,
    resourceType: row.resource_type,
    action: row.action,
    resourceId: row.resource_id,
    actor: { type: row.actor_type, id: row.actor_id },
    occurredAt: row.occurred_at,
    outcome: row.outcome,
    summary: row.summary,
    source: row.source,
  };
}
