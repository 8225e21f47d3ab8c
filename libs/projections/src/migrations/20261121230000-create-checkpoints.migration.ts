import { sql, type Kysely } from 'kysely';

/** Frozen in time: imports nothing from the library. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .withSchema('steward_projections')
    .createTable('checkpoints')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('commit_position', 'numeric(20, 0)', (c) => c.notNull().defaultTo(0))
    .addColumn('prepare_position', 'numeric(20, 0)', (c) => c.notNull().defaultTo(0))
    .addColumn('events_applied', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('epoch', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('owner', 'text')
    .addColumn('last_event_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('handover_to', 'text')
    .addColumn('handover_until', 'timestamptz')
    .addColumn('rebuilds', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rebuilt_at', 'timestamptz')
    .execute();
}
