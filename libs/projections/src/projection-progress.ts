import { sql, type Kysely, type Transaction } from 'kysely';
import { formatPosition, parsePosition, type GlobalPosition } from '@steward/event-store';
import { PROJECTIONS_SCHEMA } from './checkpoint.repository';
import { PROJECTION_LOCK_PREFIX } from './projection';

/**
 * The one PostgreSQL NOTIFY channel every projection signals its progress on: sent inside the transaction
 * that moves its checkpoint (a batch applied, a rebuild swapped in), so a listener hears it only once the
 * read model shows what the checkpoint says. Payload: `ProgressNotice` as JSON.
 */
export const PROJECTION_PROGRESS_CHANNEL = 'steward_projection_progress';

export interface ProgressNotice {
  readonly projection: string;
  /** The checkpoint the projection has applied everything up to. */
  readonly checkpoint: GlobalPosition;
}

/** Which events a projection reads: both lists narrow (AND); an absent one does not narrow. */
export interface ProgressFilter {
  readonly eventTypes: readonly string[] | null;
  readonly streamPrefixes: readonly string[] | null;
}

/** A projection as a reader of its progress sees it. */
export interface ProjectionProgressRow extends ProgressFilter, ProgressNotice {
  /** True when some instance holds the projection's leader lock, i.e. it is running. */
  readonly hasLeader: boolean;
  /** False when writes never wait for it (`awaitedByWrites: false`). */
  readonly awaited: boolean;
  /** Milliseconds since its checkpoint row last changed (a leader claimed it or moved it), by the database's clock. */
  readonly quietMs: number;
}

export function encodeProgressNotice(notice: ProgressNotice): string {
  return JSON.stringify({ projection: notice.projection, checkpoint: formatPosition(notice.checkpoint) });
}

/** The notice in a notification's payload, or undefined when it is not one. */
export function decodeProgressNotice(payload: string | undefined): ProgressNotice | undefined {
  if (!payload) return undefined;
  try {
    const parsed = JSON.parse(payload) as { projection?: unknown; checkpoint?: unknown };
    if (typeof parsed.projection !== 'string' || typeof parsed.checkpoint !== 'string') return undefined;
    return { projection: parsed.projection, checkpoint: parsePosition(parsed.checkpoint) };
  } catch {
    return undefined;
  }
}

/** Sends the progress notice inside `trx` (delivered on its commit). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function notifyProgress(trx: Transaction<any>, notice: ProgressNotice): Promise<void> {
  await sql`SELECT pg_notify(${PROJECTION_PROGRESS_CHANNEL}, ${encodeProgressNotice(notice)})`.execute(trx);
}

/** True when an event of `type` in `streamId` passes `filter`: the projection reads it. */
export function filterConcerns(filter: ProgressFilter, type: string, streamId: string): boolean {
  if (filter.eventTypes && !filter.eventTypes.includes(type)) return false;
  if (filter.streamPrefixes && !filter.streamPrefixes.some((prefix) => streamId.startsWith(prefix))) return false;
  return true;
}

/** Every projection's checkpoint and filter, and whether it is running (holds its leader lock), in one query. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function readProjectionProgress(db: Kysely<any>): Promise<ProjectionProgressRow[]> {
  const { rows } = await sql<{
    name: string;
    commit_position: string;
    prepare_position: string;
    event_types: string[] | null;
    stream_prefixes: string[] | null;
    awaited: boolean;
    has_leader: boolean;
    quiet_ms: string;
  }>`
    SELECT c.name, c.commit_position::text AS commit_position, c.prepare_position::text AS prepare_position,
           c.event_types, c.stream_prefixes, c.awaited,
           floor(extract(epoch FROM (now() - c.updated_at)) * 1000)::bigint::text AS quiet_ms,
           EXISTS (
             SELECT 1 FROM pg_locks l
              WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND l.classid::bigint = ((hashtextextended(${PROJECTION_LOCK_PREFIX}::text || c.name, 0) >> 32) & 4294967295)
                AND l.objid::bigint = (hashtextextended(${PROJECTION_LOCK_PREFIX}::text || c.name, 0) & 4294967295)
           ) AS has_leader
      FROM ${sql.id(PROJECTIONS_SCHEMA)}.checkpoints c`.execute(db);
  return rows.map((row) => ({
    projection: row.name,
    checkpoint: { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) },
    eventTypes: row.event_types,
    streamPrefixes: row.stream_prefixes,
    hasLeader: row.has_leader,
    awaited: row.awaited,
    quietMs: Number(row.quiet_ms),
  }));
}
