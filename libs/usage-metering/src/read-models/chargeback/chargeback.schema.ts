/**
 * The chargeback read model's tables and indexes (`rm_chargeback`, or a
 * rebuild's shadow schema); the row types are in the `*.table.ts` files.
 */
import type { CreateTableBuilder, Kysely } from 'kysely';

/** Creates the chargeback tables and their indexes (on an empty schema: live, or a rebuild's). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function createChargebackTables(db: Kysely<any>): Promise<void> {
  const counts = ['calls', 'errors', 'unpriced_calls', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens', 'reasoning_tokens'];
  let rollups = db.schema
    .createTable('usage_rollups')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('grain', 'smallint', (c) => c.notNull())
    .addColumn('bucket_start', 'timestamptz', (c) => c.notNull())
    .addColumn('agent', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('organization_id', 'text', (c) => c.notNull());
  for (const name of counts) rollups = rollups.addColumn(name, 'bigint', (c) => c.notNull().defaultTo(0));
  await rollups
    .addColumn('cost', 'numeric', (c) => c.notNull().defaultTo(0))
    .addColumn('latency_sum_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('latency_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('usage_rollups_pkey', ['workspace_id', 'grain', 'bucket_start', 'agent', 'provider', 'model'])
    .execute();

  // agent-filtered by-model: one agent's rows of a cell range
  await db.schema.createIndex('usage_rollups_by_agent').on('usage_rollups').columns(['workspace_id', 'agent', 'grain', 'bucket_start']).execute();

  // the same cells summed over some dimensions: (table, its key columns before grain and bucket_start, after)
  const totals: Array<[string, string[], string[]]> = [
    ['usage_workspace_rollups', [], []],
    ['usage_model_rollups', [], ['provider', 'model']],
    ['usage_agent_rollups', ['agent'], []],
  ];
  for (const [name, before, after] of totals) {
    let table: CreateTableBuilder<string, string> = db.schema.createTable(name).addColumn('workspace_id', 'text', (c) => c.notNull());
    for (const column of before) table = table.addColumn(column, 'text', (c) => c.notNull());
    table = table.addColumn('grain', 'smallint', (c) => c.notNull()).addColumn('bucket_start', 'timestamptz', (c) => c.notNull());
    for (const column of after) table = table.addColumn(column, 'text', (c) => c.notNull());
    table = table.addColumn('organization_id', 'text', (c) => c.notNull());
    for (const column of counts) table = table.addColumn(column, 'bigint', (c) => c.notNull().defaultTo(0));
    await table
      .addColumn('cost', 'numeric', (c) => c.notNull().defaultTo(0))
      .addColumn('latency_sum_ms', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('latency_count', 'bigint', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint(`${name}_pkey`, ['workspace_id', ...before, 'grain', 'bucket_start', ...after])
      .execute();
  }

  await db.schema
    .createTable('usage_calls')
    .addColumn('event_id', 'uuid', (c) => c.notNull())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('usage_id', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('time', 'timestamptz', (c) => c.notNull())
    .addColumn('agent', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('input_tokens', 'bigint', (c) => c.notNull())
    .addColumn('output_tokens', 'bigint', (c) => c.notNull())
    .addColumn('cache_read_tokens', 'bigint', (c) => c.notNull())
    .addColumn('cache_creation_tokens', 'bigint', (c) => c.notNull())
    .addColumn('reasoning_tokens', 'bigint', (c) => c.notNull())
    .addColumn('total_tokens', 'bigint', (c) => c.notNull())
    .addColumn('cost', 'numeric', (c) => c.notNull())
    .addColumn('response_time_ms', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error_type', 'text')
    .addColumn('priced', 'boolean', (c) => c.notNull())
    .addColumn('price_key', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text')
    .addColumn('corrections', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    // the list's order, read backwards; a redelivered event has the same three (no random-order index on the id alone)
    .addUniqueConstraint('usage_calls_key', ['workspace_id', 'time', 'event_id'])
    .execute();
  await db.schema.createIndex('usage_calls_recent_by_agent').on('usage_calls').columns(['workspace_id', 'agent', 'time', 'event_id']).execute();

  let lines = db.schema
    .createTable('usage_statement_lines')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('month', 'date', (c) => c.notNull())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('price_key', 'text', (c) => c.notNull())
    .addColumn('organization_id', 'text', (c) => c.notNull());
  for (const name of ['price_input', 'price_cache_read', 'price_cache_creation', 'price_output', 'price_reasoning']) lines = lines.addColumn(name, 'numeric');
  for (const name of ['calls', 'unpriced_calls', 'input_tokens', 'cache_read_tokens', 'cache_creation_tokens', 'output_tokens', 'reasoning_tokens']) {
    lines = lines.addColumn(name, 'bigint', (c) => c.notNull().defaultTo(0));
  }
  await lines
    .addColumn('cost', 'numeric', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('usage_statement_lines_pkey', ['workspace_id', 'month', 'job_id', 'provider', 'model', 'price_key'])
    .execute();
}
