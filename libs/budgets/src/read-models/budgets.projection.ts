import type { Kysely } from 'kysely';
import {
  BUDGET_STREAM_PREFIX,
  BILLING_ACCOUNT_STREAM_PREFIX,
  type BudgetChangedData,
  type BudgetDefinedData,
  type BudgetRemovedData,
  type BudgetThresholdCrossedData,
} from '@steward/contracts';
import { defineProjection, projectionSchema } from '@steward/projections';
import type { BudgetsDB } from './budgets-db';

export const BUDGETS_PROJECTION = 'budgets';
/** `rm_budgets`: budgets and the alerts of the Usage Analytics screen. */
export const BUDGETS_SCHEMA = projectionSchema(BUDGETS_PROJECTION);

/** The alert's sentence, as the screen shows it. */
export function thresholdMessage(data: BudgetThresholdCrossedData): string {
  const over = data.thresholdPercent >= 100 ? (data.enforcement === 'block' ? ' — calls over it are refused' : ' — over budget') : '';
  return `Budget "${data.budgetName}" reached ${data.thresholdPercent}% of its ${data.periodKind} limit: ${data.spendUsd} of ${data.limitUsd} USD (${data.period.label})${over}`;
}

interface LowCreditData {
  readonly organizationId: string;
  readonly threshold: string;
  readonly balance: string;
  readonly reachedAt: string;
}

function definitionRow(data: BudgetDefinedData | BudgetChangedData) {
  return {
    name: data.name,
    scope: JSON.stringify(data.scope),
    period: data.period,
    time_zone: data.timeZone,
    limit_usd: data.limitUsd,
    thresholds: JSON.stringify(data.thresholds),
    enforcement: data.enforcement,
  };
}

/** Budgets (defined, changed, removed) and alerts (threshold crossings; billing's low credit balances). */
export const budgetsProjection = defineProjection<BudgetsDB>({
  name: BUDGETS_PROJECTION,
  version: 1,
  streamPrefixes: [BUDGET_STREAM_PREFIX, BILLING_ACCOUNT_STREAM_PREFIX],
  eventTypes: ['BudgetDefined', 'BudgetChanged', 'BudgetRemoved', 'BudgetThresholdCrossed', 'LowCreditBalanceReached'],
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async migrate(db: Kysely<any>) {
    await db.schema
      .createTable('budgets')
      .addColumn('budget_id', 'text', (column) => column.primaryKey())
      .addColumn('organization_id', 'text', (column) => column.notNull())
      .addColumn('workspace_id', 'text', (column) => column.notNull())
      .addColumn('name', 'text', (column) => column.notNull())
      .addColumn('scope', 'jsonb', (column) => column.notNull())
      .addColumn('period', 'text', (column) => column.notNull())
      .addColumn('time_zone', 'text', (column) => column.notNull())
      .addColumn('limit_usd', 'numeric', (column) => column.notNull())
      .addColumn('thresholds', 'jsonb', (column) => column.notNull())
      .addColumn('enforcement', 'text', (column) => column.notNull())
      .addColumn('defined_by', 'text', (column) => column.notNull())
      .addColumn('defined_at', 'timestamptz', (column) => column.notNull())
      .addColumn('updated_at', 'timestamptz', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('budgets_workspace_idx').on('budgets').columns(['workspace_id', 'defined_at']).execute();
    await db.schema
      .createTable('alerts')
      .addColumn('alert_id', 'text', (column) => column.primaryKey())
      .addColumn('organization_id', 'text', (column) => column.notNull())
      .addColumn('workspace_id', 'text')
      .addColumn('type', 'text', (column) => column.notNull())
      .addColumn('message', 'text', (column) => column.notNull())
      .addColumn('budget_id', 'text')
      .addColumn('budget_name', 'text')
      .addColumn('threshold_percent', 'integer')
      .addColumn('threshold', 'numeric')
      .addColumn('spend_usd', 'numeric')
      .addColumn('limit_usd', 'numeric')
      .addColumn('balance', 'numeric')
      .addColumn('period_label', 'text')
      .addColumn('period_start', 'timestamptz')
      .addColumn('enforcement', 'text')
      .addColumn('at', 'timestamptz', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('alerts_organization_at_idx').on('alerts').columns(['organization_id', 'at']).execute();
  },
  handlers: {
    async BudgetDefined(trx, event) {
      const data = event.data as BudgetDefinedData;
      await trx
        .insertInto('budgets')
        .values({ budget_id: data.budgetId, organization_id: data.organizationId, workspace_id: data.workspaceId, ...definitionRow(data), defined_by: data.definedBy, defined_at: data.definedAt, updated_at: data.definedAt })
        .onConflict((conflict) => conflict.column('budget_id').doNothing())
        .execute();
    },
    async BudgetChanged(trx, event) {
      const data = event.data as BudgetChangedData;
      await trx.updateTable('budgets').set({ ...definitionRow(data), updated_at: data.changedAt }).where('budget_id', '=', data.budgetId).execute();
    },
    async BudgetRemoved(trx, event) {
      const data = event.data as BudgetRemovedData;
      await trx.deleteFrom('budgets').where('budget_id', '=', data.budgetId).execute();
    },
    async BudgetThresholdCrossed(trx, event) {
      const data = event.data as BudgetThresholdCrossedData;
      await trx
        .insertInto('alerts')
        .values({
          alert_id: event.eventId,
          organization_id: data.organizationId,
          workspace_id: data.workspaceId,
          type: 'budget_threshold',
          message: thresholdMessage(data),
          budget_id: data.budgetId,
          budget_name: data.budgetName,
          threshold_percent: data.thresholdPercent,
          threshold: null,
          spend_usd: data.spendUsd,
          limit_usd: data.limitUsd,
          balance: null,
          period_label: data.period.label,
          period_start: data.period.start,
          enforcement: data.enforcement,
          at: data.crossedAt,
        })
        .onConflict((conflict) => conflict.column('alert_id').doNothing())
        .execute();
    },
    async LowCreditBalanceReached(trx, event) {
      const data = event.data as LowCreditData;
      await trx
        .insertInto('alerts')
        .values({
          alert_id: event.eventId,
          organization_id: data.organizationId,
          workspace_id: null,
          type: 'low_credit_balance',
          message: `Credit balance is ${data.balance} credits, at or below the ${data.threshold} credit threshold: add credits to keep usage running`,
          budget_id: null,
          budget_name: null,
          threshold_percent: null,
          threshold: data.threshold,
          spend_usd: null,
          limit_usd: null,
          balance: data.balance,
          period_label: null,
          period_start: null,
          enforcement: null,
          at: data.reachedAt,
        })
        .onConflict((conflict) => conflict.column('alert_id').doNothing())
        .execute();
    },
  },
});

export const budgetReadModelProjections = [budgetsProjection] as const;
