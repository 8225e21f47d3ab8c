import { sql, type Kysely, type Transaction } from 'kysely';
import { BILLING_ACCOUNT_STREAM_PREFIX, type BillingLedgerEvent, type CreditDraw } from '@steward/contracts';
import type { RecordedEvent } from '@steward/event-store';
import { defineProjection, projectionSchema, withEventData } from '@steward/projections';
import { BillingDecimal, amountText } from '../decimal';
import { periodOf } from '../periods';
import type { BillingAccountsTable, BillingDB, BillingLedgerTable } from './billing-db';

export const BILLING_PROJECTION = 'billing';
/** `rm_billing`: accounts, grants, the ledger (bank statement) and period totals. */
export const BILLING_SCHEMA = projectionSchema(BILLING_PROJECTION);

type Trx = Transaction<BillingDB>;

async function account(trx: Trx, organizationId: string): Promise<Pick<BillingAccountsTable, 'balance' | 'time_zone'> | undefined> {
  return trx.selectFrom('accounts').select(['balance', 'time_zone']).where('organization_id', '=', organizationId).executeTakeFirst();
}

function updateAccount(trx: Trx, organizationId: string, event: RecordedEvent, at: string) {
  return trx
    .updateTable('accounts')
    .where('organization_id', '=', organizationId)
    .set({ revision: event.streamRevision.toString(), updated_at: at });
}

/** A ledger line: the balance moves by `credits`, the line records the balance after. */
async function ledgerLine(
  trx: Trx,
  event: RecordedEvent,
  organizationId: string,
  line: Pick<BillingLedgerTable, 'kind' | 'credits' | 'usd' | 'description'> & { at: string; details: Record<string, unknown> },
): Promise<string> {
  const found = await account(trx, organizationId);
  const balance = amountText(new BillingDecimal(found?.balance ?? '0').plus(line.credits));
  await trx
    .insertInto('ledger')
    .values({
      organization_id: organizationId,
      revision: event.streamRevision.toString(),
      event_id: event.eventId,
      kind: line.kind,
      at: line.at,
      credits: amountText(line.credits),
      usd: line.usd,
      balance,
      description: line.description,
      details: JSON.stringify(line.details),
    })
    .onConflict((conflict) => conflict.columns(['organization_id', 'revision']).doNothing())
    .execute();
  await updateAccount(trx, organizationId, event, line.at).set({ balance }).execute();
  return balance;
}

async function applyDraws(trx: Trx, organizationId: string, draws: readonly CreditDraw[]): Promise<void> {
  for (const draw of draws) {
    await trx
      .updateTable('grants')
      .set({ remaining: sql<string>`remaining - ${draw.credits}::numeric` })
      .where('organization_id', '=', organizationId)
      .where('grant_id', '=', draw.grantId)
      .execute();
  }
}

async function addToPeriod(trx: Trx, organizationId: string, period: string, change: { fees_usd?: string; usage_usd?: string; usage_credits?: string }): Promise<void> {
  const row = { organization_id: organizationId, period, fees_usd: change.fees_usd ?? '0', usage_usd: change.usage_usd ?? '0', usage_credits: change.usage_credits ?? '0' };
  await trx
    .insertInto('period_totals')
    .values(row)
    .onConflict((conflict) =>
      conflict.columns(['organization_id', 'period']).doUpdateSet({
        fees_usd: sql<string>`period_totals.fees_usd + excluded.fees_usd`,
        usage_usd: sql<string>`period_totals.usage_usd + excluded.usage_usd`,
        usage_credits: sql<string>`period_totals.usage_credits + excluded.usage_credits`,
      }),
    )
    .execute();
}

const negate = (value: string): string => amountText(new BillingDecimal(value).negated());

const handlers = withEventData<BillingDB, BillingLedgerEvent>({
  async BillingAccountOpened(trx, data, event) {
    await trx
      .insertInto('accounts')
      .values({
        organization_id: data.organizationId,
        plan_id: data.planId,
        time_zone: data.timeZone,
        overdraft_limit: data.overdraftLimit,
        low_balance_thresholds: JSON.stringify(data.lowBalanceThresholds),
        period: data.period,
        period_start: data.openedAt,
        period_end: data.openedAt,
        scheduled_plan_id: null,
        scheduled_effective_at: null,
        balance: '0',
        suspended: false,
        consumed_through: null,
        revision: event.streamRevision.toString(),
        opened_at: data.openedAt,
        updated_at: data.openedAt,
      })
      .onConflict((conflict) => conflict.column('organization_id').doNothing())
      .execute();
  },
  async BillingAccountConfigured(trx, data, event) {
    await updateAccount(trx, data.organizationId, event, data.configuredAt)
      .set({ time_zone: data.timeZone, overdraft_limit: data.overdraftLimit, low_balance_thresholds: JSON.stringify(data.lowBalanceThresholds) })
      .execute();
  },
  async BillingPeriodStarted(trx, data, event) {
    await updateAccount(trx, data.organizationId, event, data.startedAt)
      .set({ period: data.period, plan_id: data.planId, period_start: data.periodStart, period_end: data.periodEnd })
      .execute();
    await addToPeriod(trx, data.organizationId, data.period, { fees_usd: data.feeUsd });
  },
  async PlanChanged(trx, data, event) {
    await updateAccount(trx, data.organizationId, event, data.changedAt).set({ plan_id: data.to, scheduled_plan_id: null, scheduled_effective_at: null }).execute();
    if (data.proration) await addToPeriod(trx, data.organizationId, data.period, { fees_usd: data.proration.feeUsd });
  },
  async PlanChangeScheduled(trx, data, event) {
    await updateAccount(trx, data.organizationId, event, data.scheduledAt).set({ scheduled_plan_id: data.to, scheduled_effective_at: data.effectiveAt }).execute();
  },
  async PlanChangeCancelled(trx, data, event) {
    await updateAccount(trx, data.organizationId, event, data.cancelledAt).set({ scheduled_plan_id: null, scheduled_effective_at: null }).execute();
  },
  async CreditsGranted(trx, data, event) {
    await trx
      .insertInto('grants')
      .values({
        organization_id: data.organizationId,
        grant_id: data.grantId,
        kind: data.kind,
        amount: data.amount,
        remaining: data.amount,
        priority: data.priority,
        expires_at: data.expiresAt ?? null,
        expired: false,
        granted_by: data.grantedBy,
        reason: data.reason,
        granted_at: data.grantedAt,
      })
      .onConflict((conflict) => conflict.columns(['organization_id', 'grant_id']).doNothing())
      .execute();
    // what repaid the overdraft is not left on the grant
    if (new BillingDecimal(data.repaid).gt(0)) await applyDraws(trx, data.organizationId, [{ grantId: data.grantId, credits: data.repaid }]);
    await ledgerLine(trx, event, data.organizationId, {
      kind: 'grant',
      at: data.grantedAt,
      credits: data.amount,
      usd: null,
      description: data.reason,
      details: { grantId: data.grantId, grantKind: data.kind, priority: data.priority, expiresAt: data.expiresAt ?? null, repaid: data.repaid, grantedBy: data.grantedBy },
    });
  },
  async CreditsConsumed(trx, data, event) {
    await applyDraws(trx, data.organizationId, data.draws);
    await ledgerLine(trx, event, data.organizationId, {
      kind: 'consumption',
      at: data.consumedAt,
      credits: negate(data.credits),
      usd: data.usd,
      description: data.usagePeriod
        ? `Usage of ${data.usagePeriod} (a batch of ${data.source.events} event${data.source.events === 1 ? '' : 's'}) at ${data.creditsPerUsd} credits per USD`
        : `Usage: ${data.source.events} event${data.source.events === 1 ? '' : 's'} at ${data.creditsPerUsd} credits per USD`,
      details: { source: data.source, creditsPerUsd: data.creditsPerUsd, draws: data.draws, overdraft: data.overdraft },
    });
    await trx.updateTable('accounts').set({ consumed_through: data.source.last }).where('organization_id', '=', data.organizationId).execute();
    const found = await account(trx, data.organizationId);
    // the period of the calls it consumed (older events: of their consumption)
    await addToPeriod(trx, data.organizationId, data.usagePeriod ?? periodOf(data.consumedAt, found?.time_zone ?? 'UTC'), { usage_usd: data.usd, usage_credits: data.credits });
  },
  async CreditsAdjusted(trx, data, event) {
    await applyDraws(trx, data.organizationId, data.draws);
    await ledgerLine(trx, event, data.organizationId, {
      kind: 'adjustment',
      at: data.adjustedAt,
      credits: negate(data.credits),
      usd: null,
      description: data.reason,
      details: { adjustmentId: data.adjustmentId, draws: data.draws, overdraft: data.overdraft, adjustedBy: data.adjustedBy },
    });
  },
  async CreditsExpired(trx, data, event) {
    await trx
      .updateTable('grants')
      .set({ remaining: sql<string>`remaining - ${data.credits}::numeric`, expired: true })
      .where('organization_id', '=', data.organizationId)
      .where('grant_id', '=', data.grantId)
      .execute();
    await ledgerLine(trx, event, data.organizationId, {
      kind: 'expiry',
      at: data.expiredAt,
      credits: negate(data.credits),
      usd: null,
      description: `Expired: what was left of ${data.grantId}`,
      details: { grantId: data.grantId },
    });
  },
  async LowCreditBalanceReached(trx, data, event) {
    await updateAccount(trx, data.organizationId, event, data.reachedAt).execute();
  },
  async CreditsExhausted(trx, data, event) {
    await updateAccount(trx, data.organizationId, event, data.exhaustedAt).set({ suspended: true }).execute();
  },
  async CreditsRestored(trx, data, event) {
    await updateAccount(trx, data.organizationId, event, data.restoredAt).set({ suspended: false }).execute();
  },
});

/**
 * The billing read model: the account card (plan, balance, period, scheduled
 * change, suspension), each grant's remainder, the ledger with a running
 * balance per line, and each period's fees and consumed usage. Everything
 * here is derived from the account streams' events; nothing is decided here.
 */
export const billingProjection = defineProjection<BillingDB>({
  name: BILLING_PROJECTION,
  version: 1,
  streamPrefixes: [BILLING_ACCOUNT_STREAM_PREFIX],
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async migrate(db: Kysely<any>) {
    await db.schema
      .createTable('accounts')
      .addColumn('organization_id', 'text', (column) => column.primaryKey())
      .addColumn('plan_id', 'text', (column) => column.notNull())
      .addColumn('time_zone', 'text', (column) => column.notNull())
      .addColumn('overdraft_limit', 'numeric')
      .addColumn('low_balance_thresholds', 'jsonb', (column) => column.notNull())
      .addColumn('period', 'text', (column) => column.notNull())
      .addColumn('period_start', 'timestamptz', (column) => column.notNull())
      .addColumn('period_end', 'timestamptz', (column) => column.notNull())
      .addColumn('scheduled_plan_id', 'text')
      .addColumn('scheduled_effective_at', 'timestamptz')
      .addColumn('balance', 'numeric', (column) => column.notNull())
      .addColumn('suspended', 'boolean', (column) => column.notNull())
      .addColumn('consumed_through', 'text')
      .addColumn('revision', 'text', (column) => column.notNull())
      .addColumn('opened_at', 'timestamptz', (column) => column.notNull())
      .addColumn('updated_at', 'timestamptz', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('accounts_period_end_idx').on('accounts').column('period_end').execute();
    await db.schema
      .createTable('grants')
      .addColumn('organization_id', 'text', (column) => column.notNull())
      .addColumn('grant_id', 'text', (column) => column.notNull())
      .addColumn('kind', 'text', (column) => column.notNull())
      .addColumn('amount', 'numeric', (column) => column.notNull())
      .addColumn('remaining', 'numeric', (column) => column.notNull())
      .addColumn('priority', 'integer', (column) => column.notNull())
      .addColumn('expires_at', 'timestamptz')
      .addColumn('expired', 'boolean', (column) => column.notNull())
      .addColumn('granted_by', 'text', (column) => column.notNull())
      .addColumn('reason', 'text', (column) => column.notNull())
      .addColumn('granted_at', 'timestamptz', (column) => column.notNull())
      .addPrimaryKeyConstraint('grants_pk', ['organization_id', 'grant_id'])
      .execute();
    await db.schema.createIndex('grants_expiry_idx').on('grants').column('expires_at').where(sql.ref('expired'), '=', false).execute();
    await db.schema
      .createTable('ledger')
      .addColumn('organization_id', 'text', (column) => column.notNull())
      .addColumn('revision', 'bigint', (column) => column.notNull())
      .addColumn('event_id', 'text', (column) => column.notNull())
      .addColumn('kind', 'text', (column) => column.notNull())
      .addColumn('at', 'timestamptz', (column) => column.notNull())
      .addColumn('credits', 'numeric', (column) => column.notNull())
      .addColumn('usd', 'numeric')
      .addColumn('balance', 'numeric', (column) => column.notNull())
      .addColumn('description', 'text', (column) => column.notNull())
      .addColumn('details', 'jsonb', (column) => column.notNull())
      .addPrimaryKeyConstraint('ledger_pk', ['organization_id', 'revision'])
      .execute();
    await db.schema
      .createTable('period_totals')
      .addColumn('organization_id', 'text', (column) => column.notNull())
      .addColumn('period', 'text', (column) => column.notNull())
      .addColumn('fees_usd', 'numeric', (column) => column.notNull())
      .addColumn('usage_usd', 'numeric', (column) => column.notNull())
      .addColumn('usage_credits', 'numeric', (column) => column.notNull())
      .addPrimaryKeyConstraint('period_totals_pk', ['organization_id', 'period'])
      .execute();
  },
  handlers,
});
