import type pg from 'pg';
import type { AppendNewResult } from '../event-store.port';
import type { PreparedNewEvent } from '../event-store.validation';

/**
 * The deduplicating append (`EventStore.appendNew`) as one autocommitted statement — one transaction:
 *
 * - `k`: the ids ($3) and stream indexes ($4, 1-based into $1), each flagged `dup` when the id is already
 *   stored (a probe of the unique event-id index) — narrow rows, so what follows sorts in memory;
 * - `n`: per stream, how many new events it gets;
 * - `claim`: reserves those revisions in `streams` (expected revision `any`), taking the row locks in the
 *   order of $1, which the caller sorts as the other append paths do (no deadlock between the paths);
 * - `rev`, `revs`: each new event's revision, contiguous per stream in call order, as one array by call
 *   position (-1: a duplicate; no NULLs, so reading element i costs the same for every i);
 * - `inserted`: the new events from $2 (one JSON array of {i, t, v, d: [data], m}, parsed once), read in
 *   call order and written in it (a filtered scan, no join or sort of the wide rows).
 *
 * The id probe is a correlated `LIMIT 1` subquery: one index lookup per id, never a hash of the whole table.
 *
 * The dedup decision and the write commit together. When another transaction inserts one of these ids
 * after this statement's snapshot, the insert meets the unique index: the statement fails as a whole (no
 * revision claimed, no id taken) and the caller runs it again, now seeing the id as stored.
 */
export function appendNewSql(s: string): string {
  return `
    WITH k AS MATERIALIZED (
      SELECT k.ord, k.s, (SELECT true FROM ${s}.events x WHERE x.event_id = k.i LIMIT 1) IS NOT NULL AS dup
        FROM unnest($3::uuid[], $4::int[]) WITH ORDINALITY AS k(i, s, ord)
    ),
    n AS MATERIALIZED (
      SELECT k.s, count(*)::bigint AS n FROM k WHERE NOT k.dup GROUP BY k.s
    ),
    claim AS (
      INSERT INTO ${s}.streams AS st (stream_id, revision)
      SELECT ($1::text[])[n.s], n.n - 1 FROM n ORDER BY n.s
      ON CONFLICT (stream_id) DO UPDATE SET revision = st.revision + excluded.revision + 1
      RETURNING st.stream_id, st.revision
    ),
    rev AS MATERIALIZED (
      SELECT k.ord, c.stream_id, c.revision - n.n + row_number() OVER (PARTITION BY k.s ORDER BY k.ord) AS revision
        FROM k
        JOIN n ON n.s = k.s
        JOIN claim c ON c.stream_id = ($1::text[])[k.s]
       WHERE NOT k.dup
    ),
    revs AS MATERIALIZED (
      SELECT array_agg(coalesce(r.revision, -1) ORDER BY k.ord) AS a FROM k LEFT JOIN rev r ON r.ord = k.ord
    ),
    inserted AS (
      INSERT INTO ${s}.events (event_id, stream_id, stream_revision, event_type, event_version, data, metadata)
      SELECT e.i, ($1::text[])[($4::int[])[e.ord::int]], (SELECT revs.a FROM revs)[e.ord::int], e.t, e.v, e.d -> 0, e.m
        FROM ROWS FROM (jsonb_to_recordset($2::jsonb) AS (i uuid, t text, v int, d jsonb, m jsonb)) WITH ORDINALITY AS e(i, t, v, d, m, ord)
       WHERE (SELECT revs.a FROM revs)[e.ord::int] >= 0
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM inserted)::int AS inserted,
           (SELECT coalesce(array_agg(k.ord ORDER BY k.ord), '{}') FROM k WHERE k.dup)::int[] AS dups,
           (SELECT coalesce(json_agg(json_build_array(c.stream_id, c.revision::text)), '[]'::json) FROM claim c) AS revisions`;
}

/** The parameters of `appendNewSql` for events already deduplicated within the call. */
export function appendNewParams(events: readonly PreparedNewEvent[], compareStreamIds: (a: string, b: string) => number): unknown[] {
  const streams = [...new Set(events.map((event) => event.streamId))].sort(compareStreamIds);
  const rank = new Map(streams.map((streamId, i) => [streamId, i + 1]));
  const parts = new Array<string>(events.length);
  const ids = new Array<string>(events.length);
  const streamRanks = new Array<number>(events.length);
  events.forEach((event, k) => {
    ids[k] = event.eventId;
    streamRanks[k] = rank.get(event.streamId)!;
    // data and metadata are JSON text already; data sits in a one-element array so a JSON null stays jsonb null.
    parts[k] = `{"i":"${event.eventId}","t":${JSON.stringify(event.type)},"v":${event.version},"d":[${event.data}],"m":${event.metadata}}`;
  });
  return [streams, `[${parts.join(',')}]`, ids, streamRanks];
}

interface AppendNewRow {
  inserted: number;
  dups: number[];
  revisions: [string, string][];
}

/** Runs the statement once; a unique violation or deadlock propagates (the caller retries the whole statement). */
export async function runAppendNew(
  runner: pg.Pool | pg.ClientBase,
  statementName: string,
  sql: string,
  events: readonly PreparedNewEvent[],
  compareStreamIds: (a: string, b: string) => number,
): Promise<{ written: number; duplicates: PreparedNewEvent[]; streamRevisions: Map<string, bigint> }> {
  const { rows } = await runner.query<AppendNewRow>({ name: statementName, text: sql, values: appendNewParams(events, compareStreamIds) });
  const row = rows[0]!;
  return {
    written: row.inserted,
    duplicates: row.dups.map((ord) => events[ord - 1]!),
    streamRevisions: new Map(row.revisions.map(([streamId, revision]) => [streamId, BigInt(revision)])),
  };
}

/** Merges the duplicates found in the call and in the store into the result, in call order. */
export function appendNewResult(
  written: number,
  streamRevisions: Map<string, bigint>,
  duplicates: readonly { eventId: string; index: number }[],
): AppendNewResult {
  const ordered = [...duplicates].sort((a, b) => a.index - b.index);
  return { written, duplicateEventIds: ordered.map((d) => d.eventId), streamRevisions };
}
