import { compareScaled, parseDecimal, type Scaled } from './spend-tally';

/** A threshold and the spend that reaches it (limit × percent / 100, exact). */
export interface ThresholdLevel {
  readonly percent: number;
  readonly level: Scaled;
}

/** A budget's threshold levels, lowest first. */
export function thresholdLevels(limitUsd: string, thresholds: readonly number[]): ThresholdLevel[] {
  const limit = parseDecimal(limitUsd);
  return [...thresholds].sort((a, b) => a - b).map((percent) => ({ percent, level: { units: limit.units * BigInt(percent), scale: limit.scale + 2 } }));
}

/** The thresholds a spend moving from `before` to `after` reaches: before < level ≤ after. */
export function levelsCrossed(levels: readonly ThresholdLevel[], before: Scaled, after: Scaled): number[] {
  if (compareScaled(after, before) <= 0) return [];
  const crossed: number[] = [];
  for (const { percent, level } of levels) {
    if (compareScaled(level, before) <= 0) continue;
    if (compareScaled(level, after) > 0) break;
    crossed.push(percent);
  }
  return crossed;
}

/**
 * The thresholds (percent of the limit) a spend moving from `before` to `after` reaches: those with
 * before < limit × t / 100 ≤ after. Pure and exact. A spend that falls back (a correction) and rises again
 * reaches them again here; the reactor's claims keep each crossing once per period.
 */
export function thresholdsCrossed(limitUsd: string, thresholds: readonly number[], before: string, after: string): number[] {
  return levelsCrossed(thresholdLevels(limitUsd, thresholds), parseDecimal(before), parseDecimal(after));
}
