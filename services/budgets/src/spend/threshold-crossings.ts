import { dec } from '@steward/billing';

/**
 * The thresholds (percent of the limit) a spend moving from `before` to `after` reaches: those with
 * before < limit × t / 100 ≤ after. Pure and exact. A spend that falls back (a correction) and rises again
 * reaches them again here; the reactor's claims keep each crossing once per period.
 */
export function thresholdsCrossed(limitUsd: string, thresholds: readonly number[], before: string, after: string): number[] {
  const from = dec(before);
  const to = dec(after);
  if (!to.greaterThan(from)) return [];
  const limit = dec(limitUsd);
  return [...thresholds]
    .sort((a, b) => a - b)
    .filter((percent) => {
      const level = limit.times(percent).dividedBy(100);
      return from.lessThan(level) && to.greaterThanOrEqualTo(level);
    });
}
