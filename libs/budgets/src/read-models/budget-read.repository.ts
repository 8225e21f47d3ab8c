import type { Kysely, Selectable } from 'kysely';
import { projectionSchema } from '@steward/projections';
import type { BudgetEnforcement, BudgetPeriod, BudgetPeriodKind, BudgetScope } from '@steward/contracts';
import { budgetPeriodAt } from '../periods';
import { BUDGETS_SCHEMA } from './budgets.projection';
import type { BudgetsDB, BudgetsTable, SpendDB } from './budgets-db';

/** The spend reactor's schema (services/budgets): spend per budget and period. */
export const SPEND_REACTOR = 'budget-spend';
export const SPEND_SCHEMA = projectionSchema(SPEND_REACTOR);

const UNDEFINED_TABLE = '42P01';
const UNDEFINED_SCHEMA = '3F000';
function missingReadModel(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === UNDEFINED_TABLE || code === UNDEFINED_SCHEMA;
}

/** A budget as the API answers it. */
export interface BudgetView {
  readonly id: string;
  readonly organizationId: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly scope: BudgetScope;
  readonly period: BudgetPeriodKind;
  readonly timeZone: string;
  readonly limitUsd: string;
  readonly thresholds: number[];
  readonly enforcement: BudgetEnforcement;
  readonly definedBy: string;
  readonly definedAt: string;
  readonly updatedAt: string;
  /** The period holding now, and what has been spent in it (priced usage counted by the spend reactor). */
  readonly current: { readonly period: BudgetPeriod; readonly spendUsd: string; readonly remainingUsd: string };
}

export interface BudgetAlertView {
  readonly id: string;
  readonly type: 'budget_threshold' | 'low_credit_balance';
  readonly message: string;
  readonly workspaceId: string | null;
  readonly budget: { readonly id: string; readonly name: string } | null;
  readonly thresholdPercent: number | null;
  readonly threshold: string | null;
  readonly spendUsd: string | null;
  readonly limitUsd: string | null;
  readonly balance: string | null;
  readonly period: string | null;
  readonly enforcement: BudgetEnforcement | null;
  readonly timestamp: string;
}

export interface Page<T> {
  readonly items: T[];
  readonly page: number;
  readonly pageSize: number;
  readonly total: number;
  readonly pageCount: number;
}

/** A budget's definition as admission needs it (from the read model). */
export type BudgetDefinitionRow = Pick<BudgetView, 'id' | 'organizationId' | 'workspaceId' | 'name' | 'scope' | 'period' | 'timeZone' | 'limitUsd' | 'enforcement'>;

const iso = (value: Date | string): string => new Date(value).toISOString();
/** numeric as text without trailing zeros (25.500 → 25.5), exact. */
function plain(value: string): string {
  if (!value.includes('.')) return value;
  const trimmed = value.replace(/0+$/, '');
  return trimmed.endsWith('.') ? trimmed.slice(0, -1) : trimmed;
}

/** Exact a − b of two decimal texts (what is left of a limit). */
export function subtractDecimal(a: string, b: string): string {
  const scale = Math.max(decimals(a), decimals(b));
  const diff = toUnits(a, scale) - toUnits(b, scale);
  return fromUnits(diff, scale);
}
function decimals(value: string): number {
  const dot = value.indexOf('.');
  return dot < 0 ? 0 : value.length - dot - 1;
}
function toUnits(value: string, scale: number): bigint {
  const negative = value.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? value.slice(1) : value).split('.');
  const units = BigInt(whole + fraction.padEnd(scale, '0'));
  return negative ? -units : units;
}
function fromUnits(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return (negative ? '-' : '') + plain(text);
}

/** Queries of the budgets read model (`rm_budgets`) and the spend reactor's spend (`rm_budget_spend`). Reads only. */
export class BudgetReadRepository {
  private readonly db: Kysely<BudgetsDB>;
  private readonly spendDb: Kysely<SpendDB>;

  constructor(db: Kysely<unknown>) {
    this.db = (db as Kysely<BudgetsDB>).withSchema(BUDGETS_SCHEMA);
    this.spendDb = (db as Kysely<SpendDB>).withSchema(SPEND_SCHEMA);
  }

  async list(workspaceId: string, paging: { page: number; pageSize: number }, now: Date = new Date()): Promise<Page<BudgetView>> {
    try {
      const [rows, count] = await Promise.all([
        this.db
          .selectFrom('budgets')
          .selectAll()
          .where('workspace_id', '=', workspaceId)
          .orderBy('defined_at')
          .orderBy('budget_id')
          .limit(paging.pageSize)
          .offset((paging.page - 1) * paging.pageSize)
          .execute(),
        this.db.selectFrom('budgets').select((eb) => eb.fn.countAll<string>().as('n')).where('workspace_id', '=', workspaceId).executeTakeFirst(),
      ]);
      const total = Number(count?.n ?? 0);
      const items = await Promise.all(rows.map((row) => this.view(row, now)));
      return { items, page: paging.page, pageSize: paging.pageSize, total, pageCount: Math.ceil(total / paging.pageSize) };
    } catch (error) {
      if (missingReadModel(error)) return { items: [], page: paging.page, pageSize: paging.pageSize, total: 0, pageCount: 0 };
      throw error;
    }
  }

  async get(workspaceId: string, budgetId: string, now: Date = new Date()): Promise<BudgetView | undefined> {
    try {
      const row = await this.db.selectFrom('budgets').selectAll().where('workspace_id', '=', workspaceId).where('budget_id', '=', budgetId).executeTakeFirst();
      return row ? this.view(row, now) : undefined;
    } catch (error) {
      if (missingReadModel(error)) return undefined;
      throw error;
    }
  }

  /** Every budget of the workspace with `block` enforcement: what a reservation is admitted against. */
  async blockBudgets(workspaceId: string): Promise<BudgetDefinitionRow[]> {
    try {
      const rows = await this.db.selectFrom('budgets').selectAll().where('workspace_id', '=', workspaceId).where('enforcement', '=', 'block').execute();
      return rows.map((row) => definitionOf(row));
    } catch (error) {
      if (missingReadModel(error)) return [];
      throw error;
    }
  }

  /** The block budgets of several workspaces in one statement (every id asked for is in the answer). */
  async blockBudgetsOf(workspaceIds: readonly string[]): Promise<Map<string, BudgetDefinitionRow[]>> {
    const answer = new Map<string, BudgetDefinitionRow[]>(workspaceIds.map((id) => [id, []]));
    if (workspaceIds.length === 0) return answer;
    try {
      const rows = await this.db.selectFrom('budgets').selectAll().where('workspace_id', 'in', [...workspaceIds]).where('enforcement', '=', 'block').execute();
      for (const row of rows) answer.get(row.workspace_id)?.push(definitionOf(row));
      return answer;
    } catch (error) {
      if (missingReadModel(error)) return answer;
      throw error;
    }
  }

  /** The spend counted so far in a budget's period and the position of the last usage counted (none yet: 0). */
  async spend(budgetId: string, periodStart: string): Promise<{ spendUsd: string; through: string | null }> {
    try {
      const row = await this.spendDb.selectFrom('spend').select(['spend_usd', 'through']).where('budget_id', '=', budgetId).where('period_start', '=', new Date(periodStart)).executeTakeFirst();
      return row ? { spendUsd: plain(String(row.spend_usd)), through: row.through } : { spendUsd: '0', through: null };
    } catch (error) {
      if (missingReadModel(error)) return { spendUsd: '0', through: null };
      throw error;
    }
  }

  /**
   * Alerts of these workspaces and their organization's own (low credit balance) in [from, to), newest
   * first. Every query names the organization first.
   */
  async alerts(organizationId: string, workspaceIds: readonly string[], range: { from: Date; to: Date }, paging: { page: number; pageSize: number }): Promise<Page<BudgetAlertView>> {
    const empty = { items: [], page: paging.page, pageSize: paging.pageSize, total: 0, pageCount: 0 };
    if (workspaceIds.length === 0) return empty;
    try {
      const base = this.db
        .selectFrom('alerts')
        .where('organization_id', '=', organizationId)
        .where((eb) => eb.or([eb('workspace_id', 'in', [...workspaceIds]), eb('workspace_id', 'is', null)]))
        .where('at', '>=', range.from)
        .where('at', '<', range.to);
      const [rows, count] = await Promise.all([
        base.selectAll().orderBy('at', 'desc').orderBy('alert_id').limit(paging.pageSize).offset((paging.page - 1) * paging.pageSize).execute(),
        base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst(),
      ]);
      const total = Number(count?.n ?? 0);
      const items = rows.map(
        (row): BudgetAlertView => ({
          id: row.alert_id,
          type: row.type,
          message: row.message,
          workspaceId: row.workspace_id,
          budget: row.budget_id && row.budget_name !== null ? { id: row.budget_id, name: row.budget_name } : null,
          thresholdPercent: row.threshold_percent,
          threshold: row.threshold === null ? null : plain(String(row.threshold)),
          spendUsd: row.spend_usd === null ? null : plain(String(row.spend_usd)),
          limitUsd: row.limit_usd === null ? null : plain(String(row.limit_usd)),
          balance: row.balance === null ? null : plain(String(row.balance)),
          period: row.period_label,
          enforcement: row.enforcement as BudgetEnforcement | null,
          timestamp: iso(row.at),
        }),
      );
      return { items, page: paging.page, pageSize: paging.pageSize, total, pageCount: Math.ceil(total / paging.pageSize) };
    } catch (error) {
      if (missingReadModel(error)) return empty;
      throw error;
    }
  }

  private async view(row: BudgetsTableRow, now: Date): Promise<BudgetView> {
    const definition = definitionOf(row);
    const period = budgetPeriodAt(definition.period, definition.timeZone, now);
    const { spendUsd } = await this.spend(row.budget_id, period.start);
    return {
      ...definition,
      thresholds: row.thresholds as unknown as number[],
      definedBy: row.defined_by,
      definedAt: iso(row.defined_at),
      updatedAt: iso(row.updated_at),
      current: { period, spendUsd, remainingUsd: subtractDecimal(definition.limitUsd, spendUsd) },
    };
  }
}

type BudgetsTableRow = Selectable<BudgetsTable>;

function definitionOf(row: BudgetsTableRow): BudgetDefinitionRow {
  return {
    id: row.budget_id,
    organizationId: row.organization_id,
    workspaceId: row.workspace_id,
    name: row.name,
    scope: row.scope as unknown as BudgetScope,
    period: row.period as BudgetPeriodKind,
    timeZone: row.time_zone,
    limitUsd: plain(String(row.limit_usd)),
    enforcement: row.enforcement as BudgetEnforcement,
  };
}
