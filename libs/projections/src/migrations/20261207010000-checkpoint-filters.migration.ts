import { sql, type Kysely } from 'kysely';

/**
 * Frozen in time: imports nothing from the library. Each checkpoint row says which events its
 * projection reads (its store filter; null: every event type, every stream), so a reader waiting for
 * an event knows which projections it concerns, and whether writes wait for it at all (`awaited`).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .withSchema('steward_projections')
    .alterTable('checkpoints')
    .addColumn('event_types', sql`text[]`)
    .addColumn('stream_prefixes', sql`text[]`)
    .addColumn('awaited', 'boolean', (c) => c.notNull().defaultTo(true))
    .execute();
}
