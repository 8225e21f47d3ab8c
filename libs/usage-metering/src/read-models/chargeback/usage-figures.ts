/**
 * The figures the Usage Analytics screens show beside the sums: token totals, average response time, success rate,
 * cost per token, each model's share of the cost. Pure: the chargeback repository answers them from its sums.
 */
import { Exact, plainDecimal } from './exact-decimal';
import type { ModelTotals, UsageTotals } from './chargeback.repository';

/** Token sums as the screens show them: `total` is input + output (input includes cached, output reasoning tokens). */
export interface TokenFigures {
  readonly total: number;
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  readonly cacheCreation: number;
  readonly reasoningOutput: number;
}

export interface UsageSummary {
  /** USD, exact decimal text. */
  readonly totalCost: string;
  readonly calls: number;
  readonly errors: number;
  readonly tokens: TokenFigures;
  /** Milliseconds to two decimals; null with no timed calls. */
  readonly averageResponseTimeMs: number | null;
  /** Percent of calls that succeeded, to two decimals; null with no calls. */
  readonly successRate: number | null;
  /** USD per token, decimal text to 12 significant digits; null with no tokens. */
  readonly costPerToken: string | null;
  /** Calls recorded without a price (cost 0). */
  readonly unpricedCalls: number;
  /** No call of the range went unpriced. */
  readonly pricingConfigured: boolean;
}

/** One model's row of the model table. */
export interface ModelUsage {
  readonly provider: string;
  readonly model: string;
  readonly calls: number;
  readonly errors: number;
  readonly unpricedCalls: number;
  readonly tokens: TokenFigures;
  /** USD, exact decimal text. */
  readonly cost: string;
  readonly averageResponseTimeMs: number | null;
}

export interface ModelCostShare {
  readonly provider: string;
  readonly model: string;
  /** USD, exact decimal text. */
  readonly cost: string;
  /** Percent of the total cost to two decimals (display only); 0 when the total is 0. */
  readonly share: number;
  readonly calls: number;
}

export interface CostShares {
  /** Σ of the models' costs, USD, exact decimal text. */
  readonly totalCost: string;
  readonly models: ModelCostShare[];
}

export function tokenFigures(totals: UsageTotals): TokenFigures {
  return {
    total: totals.inputTokens + totals.outputTokens,
    input: totals.inputTokens,
    output: totals.outputTokens,
    cacheRead: totals.cacheReadTokens,
    cacheCreation: totals.cacheCreationTokens,
    reasoningOutput: totals.reasoningTokens,
  };
}

/** Latencies are whole milliseconds, not money: a double rounded to two decimals is exact enough. */
export function averageResponseTimeMs(totals: UsageTotals): number | null {
  return totals.latencyCount === 0 ? null : Math.round((totals.latencySumMs / totals.latencyCount) * 100) / 100;
}

export function successRate(totals: UsageTotals): number | null {
  return totals.calls === 0 ? null : Math.round(((totals.calls - totals.errors) / totals.calls) * 10_000) / 100;
}

export function costPerToken(totals: UsageTotals): string | null {
  const tokens = totals.inputTokens + totals.outputTokens;
  return tokens === 0 ? null : plainDecimal(new Exact(totals.cost).dividedBy(tokens).toSignificantDigits(12));
}

export function usageSummary(totals: UsageTotals): UsageSummary {
  return {
    totalCost: totals.cost,
    calls: totals.calls,
    errors: totals.errors,
    tokens: tokenFigures(totals),
    averageResponseTimeMs: averageResponseTimeMs(totals),
    successRate: successRate(totals),
    costPerToken: costPerToken(totals),
    unpricedCalls: totals.unpricedCalls,
    pricingConfigured: totals.unpricedCalls === 0,
  };
}

export function modelUsage(totals: ModelTotals): ModelUsage {
  return {
    provider: totals.provider,
    model: totals.model,
    calls: totals.calls,
    errors: totals.errors,
    unpricedCalls: totals.unpricedCalls,
    tokens: tokenFigures(totals),
    cost: totals.cost,
    averageResponseTimeMs: averageResponseTimeMs(totals),
  };
}

/** Each model's share of the summed cost, in the models' order. */
export function costShares(models: readonly ModelTotals[]): CostShares {
  const total = models.reduce((sum, model) => sum.plus(model.cost), new Exact(0));
  return {
    totalCost: plainDecimal(total),
    models: models.map((model) => ({
      provider: model.provider,
      model: model.model,
      cost: model.cost,
      share: total.isZero() ? 0 : new Exact(model.cost).dividedBy(total).times(100).toDecimalPlaces(2).toNumber(),
      calls: model.calls,
    })),
  };
}
