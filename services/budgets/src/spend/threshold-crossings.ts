import { ThresholdTally, parseDecimal, type ThresholdLevel } from './spend-tally';

/** Levels computed per limit and thresholds: every batch's reactor reads its budgets afresh, with the same few. */
const computed = new Map<string, readonly ThresholdLevel[]>();

/** A budget's threshold levels, lowest first: limit × percent / 100, exact (the limit's scale + 2). Shared: never changed. */
export function thresholdLevels(limitUsd: string, thresholds: readonly number[]): readonly ThresholdLevel[] {
  const key = `${limitUsd}|${thresholds.join(',')}`;
  let levels = computed.get(key);
  if (!levels) {
    const limit = parseDecimal(limitUsd);
    levels = Object.freeze([...thresholds].sort((a, b) => a - b).map((percent) => Object.freeze({ percent, level: Object.freeze({ units: limit.units * BigInt(percent), scale: limit.scale + 2 }) })));
    if (computed.size >= 10_000) computed.clear();
    computed.set(key, levels);
  }
  return levels;
}

/**
 * The thresholds (percent of the limit) a spend moving from `before` by `amount` reaches: those with
 * before < limit × t / 100 ≤ after, as the spend reactor's ThresholdTally finds them. Pure and exact.
 */
export function thresholdsCrossed(limitUsd: string, thresholds: readonly number[], before: string, amount: string): number[] {
  return [...new ThresholdTally(parseDecimal(before), thresholdLevels(limitUsd, thresholds)).add(parseDecimal(amount))];
}
