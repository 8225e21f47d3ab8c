import type { Kysely } from 'kysely';

/**
 * The spend reactor's tables (SpendDB), created in its schema by its first start (services/budgets) and
 * by a rebuild: budgets as the reactor knows them, spend per budget and period, threshold claims.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateSpendTables(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('budgets')
    .addColumn('budget_id', 'text', (column) => column.primaryKey())
    .addColumn('organization_id', 'text', (column) => column.notNull())
    .addColumn('workspace_id', 'text', (column) => column.notNull())
    .addColumn('definition', 'jsonb', (column) => column.notNull())
    .addColumn('removed', 'boolean', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('budgets_workspace_idx').on('budgets').column('workspace_id').execute();
  await db.schema
    .createTable('spend')
    .addColumn('budget_id', 'text', (column) => column.notNull())
    .addColumn('period_start', 'timestamptz', (column) => column.notNull())
    .addColumn('period_end', 'timestamptz', (column) => column.notNull())
    .addColumn('spend_usd', 'numeric', (column) => column.notNull())
    .addColumn('through', 'text', (column) => column.notNull())
    .addPrimaryKeyConstraint('spend_pk', ['budget_id', 'period_start'])
    .execute();
  await db.schema
    .createTable('threshold_claims')
    .addColumn('budget_id', 'text', (column) => column.notNull())
    .addColumn('period_start', 'timestamptz', (column) => column.notNull())
    .addColumn('threshold_percent', 'integer', (column) => column.notNull())
    .addColumn('claimed_at', 'timestamptz', (column) => column.notNull())
    .addPrimaryKeyConstraint('threshold_claims_pk', ['budget_id', 'period_start', 'threshold_percent'])
    .execute();
  }
