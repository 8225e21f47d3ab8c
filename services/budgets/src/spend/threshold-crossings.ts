import { ThresholdTally, parseDecimal, type ThresholdLevel } from './spend-tally';

/** A budget's threshold levels, lowest first: limit × percent / 100, exact (the limit's scale + 2). */
export function thresholdLevels(limitUsd: string, thresholds: readonly number[]): ThresholdLevel[] {
  const limit = parseDecimal(limitUsd);
  return [...thresholds].sort((a, b) => a - b).map((percent) => ({ percent, level: { units: limit.units * BigInt(percent), scale: limit.scale + 2 } }));
}

/**
 * The thresholds (percent of the limit) a spend moving from `before` by `amount` reaches: those with
 * before < limit × t / 100 ≤ after, as the spend reactor's ThresholdTally finds them. Pure and exact.
 */
export function thresholdsCrossed(limitUsd: string, thresholds: readonly number[], before: string, amount: string): number[] {
  return [...new ThresholdTally(parseDecimal(before), thresholdLevels(limitUsd, thresholds)).add(parseDecimal(amount))];
}
