import { sql, type Kysely, type QueryCreator } from 'kysely';
import type { RecordedEvent } from '@steward/event-store';
import type { UsageRecordedData } from './usage-events';

/** Tokens per workspace × model × hour: the shape of the chargeback rollups (DESIGN §5), trimmed to a bench. */
export interface UsageHourlyRollupTable {
  workspace_id: string;
  model: string;
  hour: string;
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  reasoning_output_tokens: number;
  response_time_ms: number;
  errors: number;
}

export interface RollupDB {
  usage_hourly_rollup: UsageHourlyRollupTable;
}

export const ROLLUP_TABLE = 'usage_hourly_rollup';
const COLUMNS = [
  'workspace_id',
  'model',
  'hour',
  'calls',
  'input_tokens',
  'output_tokens',
  'cache_read_input_tokens',
  'reasoning_output_tokens',
  'response_time_ms',
  'errors',
] as const satisfies readonly (keyof UsageHourlyRollupTable)[];

/** Creates the rollup table; `db` is already bound to the read model's schema. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function migrate(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable(ROLLUP_TABLE)
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('hour', 'timestamptz', (c) => c.notNull())
    .addColumn('calls', 'bigint', (c) => c.notNull())
    .addColumn('input_tokens', 'bigint', (c) => c.notNull())
    .addColumn('output_tokens', 'bigint', (c) => c.notNull())
    .addColumn('cache_read_input_tokens', 'bigint', (c) => c.notNull())
    .addColumn('reasoning_output_tokens', 'bigint', (c) => c.notNull())
    .addColumn('response_time_ms', 'bigint', (c) => c.notNull())
    .addColumn('errors', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('usage_hourly_rollup_pk', ['workspace_id', 'model', 'hour'])
    .execute();
}

/**
 * Applies a page of events: sums in memory per workspace × model × hour (one
 * multi-row upsert cannot touch a row twice), then one `INSERT … SELECT FROM
 * unnest(…) ON CONFLICT DO UPDATE` adding the page's sums to what is stored.
 */
async function handle(db: QueryCreator<RollupDB>, events: readonly RecordedEvent[]): Promise<void> {
  const rows = new Map<string, UsageHourlyRollupTable>();
  for (const event of events) {
    if (event.type !== 'UsageRecorded') continue;
    const usage = event.data as UsageRecordedData;
    const hour = `${usage.occurredAt.slice(0, 13)}:00:00Z`;
    const key = `${usage.workspaceId}\u0000${usage.model}\u0000${hour}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        workspace_id: usage.workspaceId,
        model: usage.model,
        hour,
        calls: 0,
        input_tokens: 0,
        output_tokens: 0,
        cache_read_input_tokens: 0,
        reasoning_output_tokens: 0,
        response_time_ms: 0,
        errors: 0,
      };
      rows.set(key, row);
    }
    row.calls += 1;
    row.input_tokens += usage.inputTokens;
    row.output_tokens += usage.outputTokens;
    row.cache_read_input_tokens += usage.cacheReadInputTokens;
    row.reasoning_output_tokens += usage.reasoningOutputTokens;
    row.response_time_ms += usage.responseTimeMs;
    if (usage.status === 'error') row.errors += 1;
  }
  if (rows.size === 0) return;
  // One statement per page, whatever its size: the page's rows as ten array
  // parameters unnested into the upsert (a VALUES list would take ten
  // parameters per row, cost the server a plan over thousands of rows, and
  // hit the 65 535-parameter limit).
  const all = [...rows.values()];
  const column = <K extends keyof UsageHourlyRollupTable>(key: K) => all.map((row) => row[key]);
  const add = (name: keyof UsageHourlyRollupTable) => sql<number>`${sql.ref(`${ROLLUP_TABLE}.${name}`)} + excluded.${sql.ref(name)}`;
  await db
    .insertInto(ROLLUP_TABLE)
    .columns([...COLUMNS])
    .expression(
      db.selectFrom(
        sql<UsageHourlyRollupTable>`unnest(${column('workspace_id')}::text[], ${column('model')}::text[], ${column('hour')}::timestamptz[],
          ${column('calls')}::bigint[], ${column('input_tokens')}::bigint[], ${column('output_tokens')}::bigint[],
          ${column('cache_read_input_tokens')}::bigint[], ${column('reasoning_output_tokens')}::bigint[],
          ${column('response_time_ms')}::bigint[], ${column('errors')}::bigint[])`.as<'page'>(
          sql`page(${sql.join(COLUMNS.map((name) => sql.ref(name)))})`,
        ),
      ).selectAll(),
    )
    .onConflict((conflict) =>
      conflict.columns(['workspace_id', 'model', 'hour']).doUpdateSet({
        calls: add('calls'),
        input_tokens: add('input_tokens'),
        output_tokens: add('output_tokens'),
        cache_read_input_tokens: add('cache_read_input_tokens'),
        reasoning_output_tokens: add('reasoning_output_tokens'),
        response_time_ms: add('response_time_ms'),
        errors: add('errors'),
      }),
    )
    .execute();
}

/** The rollup as a projection definition (the shape `@steward/projections` runs). */
export const hourlyRollupProjection = {
  name: 'bench-hourly-rollup',
  version: 1,
  eventTypes: ['UsageRecorded'],
  migrate,
  handle,
} as const;
