import Decimal from 'decimal.js';
import { decimalText } from '../../pricing/cost';
import type { StatementGroup, StatementLine } from './chargeback.repository';

export interface StatementLineInCredits extends StatementLine {
  /** unitPrice × creditsPerUsd; null when unpriced. */
  readonly unitPriceCredits: string | null;
  readonly totalCredits: string;
}

export interface StatementGroupInCredits extends Omit<StatementGroup, 'lines'> {
  readonly lines: StatementLineInCredits[];
  readonly totalCredits: string;
}

/** A month's usage statement, in USD and in credits at `creditsPerUsd`. */
export interface UsageStatement {
  readonly creditsPerUsd: string;
  /** Per model and price. */
  readonly models: StatementGroupInCredits[];
  /** Per job × model and price (calls of a job only). */
  readonly jobs: StatementGroupInCredits[];
  readonly calls: number;
  /** Calls no price was found for. */
  readonly unpricedCalls: number;
  /** Σ of the models' totals, USD. */
  readonly total: string;
  readonly totalCredits: string;
}

/**
 * The statement's groups with their totals and credits: every USD amount times `creditsPerUsd`
 * (the rate billing will own; until then the statement's).
 */
export function statementInCredits(groups: { readonly models: readonly StatementGroup[]; readonly jobs: readonly StatementGroup[] }, creditsPerUsd: string): UsageStatement {
  const credits = (usd: string): string => decimalText(new Decimal(usd).times(creditsPerUsd));
  const inCredits = (group: StatementGroup): StatementGroupInCredits => ({
    ...group,
    lines: group.lines.map((line) => ({ ...line, unitPriceCredits: line.unitPrice === null ? null : credits(line.unitPrice), totalCredits: credits(line.total) })),
    totalCredits: credits(group.total),
  });
  const total = decimalText(groups.models.reduce((sum, group) => sum.plus(group.total), new Decimal(0)));
  return {
    creditsPerUsd,
    models: groups.models.map(inCredits),
    jobs: groups.jobs.map(inCredits),
    calls: groups.models.reduce((sum, group) => sum + group.calls, 0),
    unpricedCalls: groups.models.filter((group) => !group.priced).reduce((sum, group) => sum + group.calls, 0),
    total,
    totalCredits: credits(total),
  };
}
