import { sql, type Kysely } from 'kysely';

/** Frozen in time: imports nothing from the library. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .withSchema('steward_projections')
    .createTable('quarantine')
    .addColumn('projection', 'text', (c) => c.notNull())
    .addColumn('event_id', 'uuid', (c) => c.notNull())
    .addColumn('stream_id', 'text', (c) => c.notNull())
    .addColumn('stream_revision', 'numeric(20, 0)', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('event_version', 'integer', (c) => c.notNull())
    .addColumn('commit_position', 'numeric(20, 0)', (c) => c.notNull())
    .addColumn('prepare_position', 'numeric(20, 0)', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text', (c) => c.notNull())
    .addColumn('quarantined_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('replay_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_replay_at', 'timestamptz')
    .addPrimaryKeyConstraint('quarantine_pk', ['projection', 'event_id'])
    .execute();
  await db.schema
    .withSchema('steward_projections')
    .createIndex('quarantine_by_position')
    .on('quarantine')
    .columns(['projection', 'commit_position', 'prepare_position'])
    .execute();
}
