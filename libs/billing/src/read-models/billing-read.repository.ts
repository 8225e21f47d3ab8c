import { sql, type Kysely } from 'kysely';
import { BillingDecimal, amountText } from '../decimal';
import { nextPeriod, periodEnd, periodOf, previousPeriod } from '../periods';
import { planOrDefault, usdForCredits, type PlanCatalogue } from '../plans/plan-catalogue';
import type { BillingDB, BillingLedgerTable } from './billing-db';
import { BILLING_SCHEMA } from './billing.projection';

const UNDEFINED_TABLE = '42P01';
const UNDEFINED_SCHEMA = '3F000';

/** The read model is not there yet (the projections service has not created it): nothing is known. */
function missingReadModel(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === UNDEFINED_TABLE || code === UNDEFINED_SCHEMA;
}

export interface BillingAccountView {
  readonly organizationId: string;
  readonly planId: string;
  readonly timeZone: string;
  readonly overdraftLimit: string | null;
  readonly lowBalanceThresholds: string[];
  readonly period: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly scheduledChange: { readonly planId: string; readonly effectiveAt: string } | null;
  readonly balance: string;
  readonly suspended: boolean;
  readonly consumedThrough: string | null;
}

export interface LedgerEntryView {
  readonly id: string;
  readonly sequence: number;
  readonly kind: BillingLedgerTable['kind'];
  readonly at: string;
  readonly description: string;
  /** Signed change of the balance, credits. */
  readonly credits: string;
  /** The same in USD at the entry's rate (consumption) or the account's current plan rate. */
  readonly usd: string | null;
  readonly balance: string;
  readonly details: Record<string, unknown>;
}

export interface LedgerPage {
  readonly items: LedgerEntryView[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  readonly pageCount: number;
}

export interface PeriodTotal {
  readonly period: string;
  readonly feesUsd: string;
  readonly usageUsd: string;
  readonly usageCredits: string;
  /** fees + usage, USD. */
  readonly totalUsd: string;
}

/** The dashboard's Current Billing and Current Plan cards in one answer. */
export interface BillingOverview {
  readonly organizationId: string;
  /** False until the billing service opened the account (moments after the organization was created). */
  readonly opened: boolean;
  readonly plan: {
    readonly id: string;
    readonly name: string;
    readonly monthlyFeeUsd: string;
    readonly creditsPerPeriod: string;
    readonly creditsPerUsd: string;
  };
  readonly scheduledChange: { readonly planId: string; readonly planName: string; readonly effectiveAt: string } | null;
  readonly credits: { readonly available: string; readonly availableUsd: string; readonly overdraftLimit: string };
  readonly suspended: boolean;
  readonly timeZone: string;
  /** Billing Configuration: the account's own overdraft limit (null: the plan's) and its low-balance thresholds. */
  readonly settings: { readonly timeZone: string; readonly overdraftLimit: string | null; readonly lowBalanceThresholds: string[] };
  readonly currentMonth: PeriodTotal;
  readonly lastMonth: PeriodTotal;
  /**
   * Month over month: (current − last) / last in percent, one decimal, with its sign; null when last month
   * cost nothing. A decrease is good: colour `green`, an increase `red`, no change `neutral`.
   */
  readonly trend: { readonly percent: string | null; readonly direction: 'up' | 'down' | 'flat'; readonly colour: 'green' | 'red' | 'neutral' };
  /** The first day of the next period in the billing time zone (`YYYY-MM-DD`), and its first instant. */
  readonly nextInvoiceDate: string;
  readonly nextInvoiceAt: string;
}

const iso = (value: Date | string): string => new Date(value).toISOString();
const num = (value: string | number): string => amountText(String(value));

/** Queries of the billing read model (`rm_billing`). */
export class BillingReadRepository {
  private readonly db: Kysely<BillingDB>;

  constructor(db: Kysely<unknown>) {
    this.db = (db as Kysely<BillingDB>).withSchema(BILLING_SCHEMA);
  }

  async account(organizationId: string): Promise<BillingAccountView | undefined> {
    let row;
    try {
      row = await this.db.selectFrom('accounts').selectAll().where('organization_id', '=', organizationId).executeTakeFirst();
    } catch (error) {
      if (missingReadModel(error)) return undefined;
      throw error;
    }
    if (!row) return undefined;
    const thresholds = row.low_balance_thresholds as unknown;
    return {
      organizationId: row.organization_id,
      planId: row.plan_id,
      timeZone: row.time_zone,
      overdraftLimit: row.overdraft_limit === null ? null : num(row.overdraft_limit),
      lowBalanceThresholds: Array.isArray(thresholds) ? (thresholds as string[]) : [],
      period: row.period,
      periodStart: iso(row.period_start),
      periodEnd: iso(row.period_end),
      scheduledChange: row.scheduled_plan_id && row.scheduled_effective_at ? { planId: row.scheduled_plan_id, effectiveAt: iso(row.scheduled_effective_at) } : null,
      balance: num(row.balance),
      suspended: row.suspended,
      consumedThrough: row.consumed_through,
    };
  }

  /** Credits per USD of the organization's plan (the catalogue's default plan while no account is open). */
  async creditsPerUsd(organizationId: string, catalogue: PlanCatalogue): Promise<string> {
    const account = await this.account(organizationId);
    return planOrDefault(catalogue, account?.planId ?? catalogue.defaultPlanId).creditsPerUsd;
  }

  /** Whether the organization's workspaces are suspended for lack of credits (false when unknown). */
  async isSuspended(organizationId: string): Promise<boolean> {
    try {
      const row = await this.db.selectFrom('accounts').select('suspended').where('organization_id', '=', organizationId).executeTakeFirst();
      return row?.suspended === true;
    } catch (error) {
      if (missingReadModel(error)) return false;
      throw error;
    }
  }

  async periodTotals(organizationId: string, periods: readonly string[]): Promise<Map<string, PeriodTotal>> {
    const found = new Map<string, PeriodTotal>();
    let rows: Array<{ period: string; fees_usd: string; usage_usd: string; usage_credits: string }> = [];
    try {
      rows = await this.db
        .selectFrom('period_totals')
        .select(['period', 'fees_usd', 'usage_usd', 'usage_credits'])
        .where('organization_id', '=', organizationId)
        .where('period', 'in', [...periods])
        .execute();
    } catch (error) {
      if (!missingReadModel(error)) throw error;
    }
    for (const period of periods) {
      const row = rows.find((candidate) => candidate.period === period);
      const feesUsd = num(row?.fees_usd ?? '0');
      const usageUsd = num(row?.usage_usd ?? '0');
      found.set(period, { period, feesUsd, usageUsd, usageCredits: num(row?.usage_credits ?? '0'), totalUsd: amountText(new BillingDecimal(feesUsd).plus(usageUsd)) });
    }
    return found;
  }

  /** The bank statement, newest first. */
  async ledger(organizationId: string, page: number, pageSize: number): Promise<LedgerPage> {
    try {
      const [rows, count] = await Promise.all([
        this.db
          .selectFrom('ledger')
          .selectAll()
          .where('organization_id', '=', organizationId)
          .orderBy('revision', 'desc')
          .limit(pageSize)
          .offset((page - 1) * pageSize)
          .execute(),
        this.db.selectFrom('ledger').select(sql<string>`count(*)`.as('count')).where('organization_id', '=', organizationId).executeTakeFirst(),
      ]);
      const total = Number(count?.count ?? 0);
      return { items: rows.map(entryView), total, page, pageSize, pageCount: Math.ceil(total / pageSize) };
    } catch (error) {
      if (missingReadModel(error)) return { items: [], total: 0, page, pageSize, pageCount: 0 };
      throw error;
    }
  }

  /** Every line, oldest first, in chunks: the CSV export. */
  async *ledgerChunks(organizationId: string, chunk = 1000): AsyncGenerator<LedgerEntryView[]> {
    let after = -1n;
    for (;;) {
      let rows;
      try {
        rows = await this.db
          .selectFrom('ledger')
          .selectAll()
          .where('organization_id', '=', organizationId)
          .where('revision', '>', after.toString())
          .orderBy('revision', 'asc')
          .limit(chunk)
          .execute();
      } catch (error) {
        if (missingReadModel(error)) return;
        throw error;
      }
      if (rows.length === 0) return;
      yield rows.map(entryView);
      after = BigInt(rows[rows.length - 1]!.revision);
      if (rows.length < chunk) return;
    }
  }

  /** Accounts with something due at `now`: a period that ended, or a grant that expired. */
  async dueAccounts(now: Date, limit = 500): Promise<string[]> {
    try {
      const ended = await this.db.selectFrom('accounts').select('organization_id').where('period_end', '<=', now).limit(limit).execute();
      const expiring = await this.db
        .selectFrom('grants')
        .select('organization_id')
        .distinct()
        .where('expired', '=', false)
        .where('expires_at', '<=', now)
        .limit(limit)
        .execute();
      return [...new Set([...ended, ...expiring].map((row) => row.organization_id))];
    } catch (error) {
      if (missingReadModel(error)) return [];
      throw error;
    }
  }

  /** The Current Billing and Current Plan cards. */
  async overview(organizationId: string, catalogue: PlanCatalogue, now: Date = new Date(), defaultTimeZone = 'UTC'): Promise<BillingOverview> {
    const account = await this.account(organizationId);
    const timeZone = account?.timeZone ?? defaultTimeZone;
    const plan = planOrDefault(catalogue, account?.planId ?? catalogue.defaultPlanId);
    // the period the clock is in (the account's own may lag until the billing service starts the next)
    const current = periodOf(now, timeZone);
    const last = previousPeriod(current);
    const totals = await this.periodTotals(organizationId, [current, last]);
    const currentMonth = totals.get(current)!;
    const lastMonth = totals.get(last)!;
    const balance = account?.balance ?? '0';
    const next = nextPeriod(current);
    const scheduled = account?.scheduledChange ?? null;
    return {
      organizationId,
      opened: account !== undefined,
      plan: { id: plan.id, name: plan.name, monthlyFeeUsd: plan.monthlyFeeUsd, creditsPerPeriod: plan.creditsPerPeriod, creditsPerUsd: plan.creditsPerUsd },
      scheduledChange: scheduled ? { planId: scheduled.planId, planName: planOrDefault(catalogue, scheduled.planId).name, effectiveAt: scheduled.effectiveAt } : null,
      credits: { available: balance, availableUsd: usdForCredits(balance, plan.creditsPerUsd), overdraftLimit: account?.overdraftLimit ?? plan.overdraft.limit },
      suspended: account?.suspended ?? false,
      timeZone,
      settings: { timeZone, overdraftLimit: account?.overdraftLimit ?? null, lowBalanceThresholds: account?.lowBalanceThresholds ?? [] },
      currentMonth,
      lastMonth,
      trend: trendOf(currentMonth.totalUsd, lastMonth.totalUsd),
      nextInvoiceDate: `${next}-01`,
      nextInvoiceAt: new Date(periodEnd(current, timeZone)).toISOString(),
    };
  }
}

export function trendOf(current: string, last: string): BillingOverview['trend'] {
  const before = new BillingDecimal(last);
  const now = new BillingDecimal(current);
  const direction = now.gt(before) ? 'up' : now.lt(before) ? 'down' : 'flat';
  const colour = direction === 'down' ? 'green' : direction === 'up' ? 'red' : 'neutral';
  if (before.isZero()) return { percent: null, direction, colour };
  const percent = now.minus(before).dividedBy(before).times(100).toDecimalPlaces(1, BillingDecimal.ROUND_HALF_UP);
  const text = percent.toFixed(1);
  return { percent: percent.gt(0) ? `+${text}` : percent.isZero() ? '0.0' : text, direction, colour };
}

function entryView(row: {
  revision: string;
  event_id: string;
  kind: BillingLedgerTable['kind'];
  at: Date | string;
  credits: string;
  usd: string | null;
  balance: string;
  description: string;
  details: unknown;
}): LedgerEntryView {
  return {
    id: row.event_id,
    sequence: Number(row.revision),
    kind: row.kind,
    at: iso(row.at),
    description: row.description,
    credits: num(row.credits),
    usd: row.usd === null ? null : num(row.usd),
    balance: num(row.balance),
    details: (row.details ?? {}) as Record<string, unknown>,
  };
}
