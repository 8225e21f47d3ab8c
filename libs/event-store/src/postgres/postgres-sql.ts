import type { GlobalPosition } from '../event-store.port';

/** Pure SQL helpers of the PostgreSQL adapter (no I/O). */

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,39}$/;

/** Schema names are plain lower-case identifiers, short enough to derive the NOTIFY channel from. */
export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`invalid event store schema name ${JSON.stringify(schema)}: use [a-z_][a-z0-9_]*, at most 40 characters`);
  }
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The LISTEN/NOTIFY channel woken by every append in `schema`. */
export function notifyChannel(schema: string): string {
  return `${schema}_appended`;
}

/** A LIKE pattern (default escape character `\`) that matches exactly the strings starting with `prefix`. */
export function likePrefixPattern(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** A position as the two text parameters `(transaction_id, global_position)` (xid8 and bigint, exactly). */
export function positionParams(position: GlobalPosition): [string, string] {
  return [position.commit.toString(), position.prepare.toString()];
}

/** Parses `xid8::text` / `bigint::text` columns exactly. */
export function positionFromRow(transactionId: string, globalPosition: string): GlobalPosition {
  return { commit: BigInt(transactionId), prepare: BigInt(globalPosition) };
}

/** A stable 64-bit advisory-lock key for migrating `schema` (FNV-1a over the name, as a signed bigint string). */
export function migrationLockKey(schema: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(`steward.event-store.migrate:${schema}`, 'utf8')) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return BigInt.asIntN(64, hash).toString();
}

/** SQLSTATE raised by `{schema}.append_conflict()`. */
export const APPEND_CONFLICT_CODE = 'SE409';

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** SQL with `{schema}` standing for the quoted schema name. */
  readonly sql: string;
}

/** Frozen in time: never edit an applied migration, add the next version. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events_and_streams',
    sql: `
      CREATE TABLE {schema}.streams (
        stream_id text PRIMARY KEY,
        revision bigint NOT NULL CHECK (revision >= 0)
      );
      CREATE TABLE {schema}.events (
        global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        event_id uuid NOT NULL UNIQUE,
        stream_id text NOT NULL,
        stream_revision bigint NOT NULL CHECK (stream_revision >= 0),
        event_type text NOT NULL,
        event_version int NOT NULL,
        data jsonb NOT NULL,
        metadata jsonb NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (stream_id, stream_revision)
      );
      CREATE INDEX events_transaction_position_idx ON {schema}.events (transaction_id, global_position);
      CREATE INDEX events_type_idx ON {schema}.events (event_type, transaction_id, global_position);
    `,
  },
  {
    version: 2,
    name: 'append_conflict',
    // Called by the one-statement append when an expected revision does not
    // hold: the error aborts the statement (and its implicit transaction), so
    // the revisions already claimed for other streams of the call are undone.
    sql: `
      CREATE FUNCTION {schema}.append_conflict() RETURNS boolean LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'expected revision does not hold' USING ERRCODE = '${APPEND_CONFLICT_CODE}';
      END
      $$;
    `,
  },
  {
    version: 3,
    name: 'position_primary_key',
    // One btree fewer per appended row: no query reads by global_position
    // alone (reads, the head and the subscription go by (transaction_id,
    // global_position); streams by (stream_id, stream_revision)), so its
    // primary key only cost index maintenance. The position readers use,
    // (transaction_id, global_position), becomes the primary key in place of
    // its plain index: the same one index, now also unique.
    sql: `
      ALTER TABLE {schema}.events DROP CONSTRAINT events_pkey;
      DROP INDEX {schema}.events_transaction_position_idx;
      ALTER TABLE {schema}.events ADD CONSTRAINT events_pkey PRIMARY KEY (transaction_id, global_position);
    `,
  },
  {
    version: 4,
    name: 'json_payloads',
    // data and metadata as json (the text, checked once on the way in), not
    // jsonb: parsing every appended document into jsonb was the largest single
    // cost of an append on the server, and turning
    // jsonb back into text was the largest of a read, while nothing queries
    // inside the documents on a hot path (->> still works on json). Stored
    // text is what the writer sent; comparisons (the idempotency check) cast
    // to jsonb, so they stay semantic.
    sql: `
      ALTER TABLE {schema}.events
        ALTER COLUMN data TYPE json USING data::json,
        ALTER COLUMN metadata TYPE json USING metadata::json;
    `,
  },
];

export function renderMigration(migration: Migration, schema: string): string {
  return migration.sql.replaceAll('{schema}', quoteIdentifier(schema));
}

/** The type oid of `json`. */
const JSON_OID = 114;

/**
 * JSON texts as one `json[]` parameter in PostgreSQL's binary array format
 * (node-postgres sends a Buffer as a binary parameter): each element arrives
 * as its text, checked once by the server, with none of a text array
 * literal's quoting and unquoting. Every element is a JSON text, never SQL NULL.
 */
export function jsonArrayParam(texts: readonly string[]): Buffer {
  const lengths = new Array<number>(texts.length);
  let size = 20;
  for (let i = 0; i < texts.length; i++) {
    lengths[i] = Buffer.byteLength(texts[i]!);
    size += 4 + lengths[i]!;
  }
  const buffer = Buffer.allocUnsafe(size);
  buffer.writeInt32BE(1, 0); // dimensions
  buffer.writeInt32BE(0, 4); // no NULL elements
  buffer.writeInt32BE(JSON_OID, 8);
  buffer.writeInt32BE(texts.length, 12);
  buffer.writeInt32BE(1, 16); // lower bound
  let offset = 20;
  for (let i = 0; i < texts.length; i++) {
    buffer.writeInt32BE(lengths[i]!, offset);
    offset += 4;
    offset += buffer.write(texts[i]!, offset);
  }
  return buffer;
}
