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
 * - `inserted`: every event's columns side by side, in call order — ids, stream indexes, revisions, kinds
 *   ($9: 1-based into the call's distinct types $5 and versions $6) as arrays, data ($2) and metadata ($7)
 *   as their JSON texts joined by newlines — the duplicates left out, written in that order. The per-event
 *   arrays are sent as array literals built here (uuids and integers need no quoting), not element by
 *   element through the driver's quoting.
 *
 * Data and metadata cross as plain text: one line per event (JSON text never holds a raw newline), split
 * into an array in memory (`string_to_array`; `string_to_table` would fill a tuplestore that spills to disk)
 * and unnested in the select list, taken as `json`, so each document is checked once and stored as it came
 * (a json column) or parsed once (a jsonb column, by the assignment cast); streamed (no JSON document of the
 * whole call parsed first), and the client only joins strings (no array quoting). When a document may hold a `\u0000` escape ($8), the call's documents go through
 * jsonb, which refuses the NUL character as PostgreSQL's text does (so the call fails as InvalidArgument,
 * whichever the column's type): a NUL would otherwise be stored, and fail every reader that turns it into text.
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
      SELECT k.ord, c.revision - n.n + row_number() OVER (PARTITION BY k.s ORDER BY k.ord) AS revision
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
      SELECT e.i, ($1::text[])[e.s], e.r, ($5::text[])[e.k], ($6::int[])[e.k],
             CASE WHEN $8::boolean THEN e.d::jsonb::json ELSE e.d::json END,
             CASE WHEN $8::boolean THEN e.m::jsonb::json ELSE e.m::json END
        FROM (SELECT unnest($3::uuid[]) AS i, unnest($4::int[]) AS s, unnest((SELECT revs.a FROM revs)) AS r,
                     unnest($9::int[]) AS k,
                     unnest(string_to_array($2::text, E'\\n')) AS d, unnest(string_to_array($7::text, E'\\n')) AS m) e
       WHERE e.r >= 0
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
  const kinds = new Map<string, number>();
  const types: string[] = [];
  const versions: number[] = [];
  const count = events.length;
  const ids = new Array<string>(count);
  const streamRanks = new Array<number>(count);
  const kindOf = new Array<number>(count);
  const data = new Array<string>(count);
  const metadata = new Array<string>(count);
  let mayHoldNul = false;
  let lastType = '';
  let lastVersion = 0;
  let lastKind = 0;
  for (let k = 0; k < count; k++) {
    const event = events[k]!;
    ids[k] = event.eventId; // a validated, lower-cased UUID: nothing to quote in an array literal
    streamRanks[k] = rank.get(event.streamId)!;
    // mostly one kind per call: compare with the last event's before building a key
    if (event.type !== lastType || event.version !== lastVersion) {
      const kindKey = `${event.version}:${event.type}`;
      let found = kinds.get(kindKey);
      if (found === undefined) {
        types.push(event.type);
        versions.push(event.version);
        kinds.set(kindKey, (found = types.length));
      }
      [lastType, lastVersion, lastKind] = [event.type, event.version, found];
    }
    kindOf[k] = lastKind;
    // JSON text already (JSON.stringify escapes every newline): one line per event.
    data[k] = event.data;
    metadata[k] = event.metadata;
    if (event.data.includes('\\u0000') || event.metadata.includes('\\u0000')) mayHoldNul = true;
  }
  return [
    streams,
    data.join('\n'),
    `{${ids.join(',')}}`,
    `{${streamRanks.join(',')}}`,
    types,
    versions,
    metadata.join('\n'),
    mayHoldNul,
    `{${kindOf.join(',')}}`,
  ];
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
