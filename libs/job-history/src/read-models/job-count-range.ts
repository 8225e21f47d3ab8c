const DAY_MS = 86_400_000;

/**
 * How a count over `[from, to)` splits: the whole UTC days inside it, read
 * from the per-day counters (`fromDay` inclusive, `toDay` exclusive, each
 * unbounded when absent), and the parts of a day at either end (`head`,
 * `tail`: `[start, end)` instants), counted from the jobs themselves.
 */
export interface CountRange {
  readonly fromDay?: string;
  readonly toDay?: string;
  readonly head?: readonly [string, string];
  readonly tail?: readonly [string, string];
}

/** Digits past the millisecond that are not all zero: the instant lies after what Date.parse reads. */
function hasSubMillisecond(iso: string): boolean {
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? '';
  return /[1-9]/.test(fraction.slice(3));
}

const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Whether `iso` is exactly the instant `ms` (no sub-millisecond part). */
const isExactly = (iso: string, ms: number): boolean => Date.parse(iso) === ms && !hasSubMillisecond(iso);

/**
 * The split of `[from, to)` (ISO instants, either may be absent), or
 * undefined when the range holds no whole day (count it all from the jobs:
 * at most two days of them).
 */
export function countRange(from: string | undefined, to: string | undefined): CountRange | undefined {
  const midnightOf = (iso: string): number => Math.floor(Date.parse(iso) / DAY_MS) * DAY_MS;
  // the first whole day starts at from's midnight only when from is that midnight exactly
  const first = from === undefined ? undefined : isExactly(from, midnightOf(from)) ? midnightOf(from) : midnightOf(from) + DAY_MS;
  const end = to === undefined ? undefined : midnightOf(to);
  if (first !== undefined && end !== undefined && first >= end) return undefined;
  const range: { fromDay?: string; toDay?: string; head?: readonly [string, string]; tail?: readonly [string, string] } = {};
  if (from !== undefined && first !== undefined) {
    range.fromDay = dayOf(first);
    if (!isExactly(from, first)) range.head = [from, new Date(first).toISOString()];
  }
  if (to !== undefined && end !== undefined) {
    range.toDay = dayOf(end);
    if (!isExactly(to, end)) range.tail = [new Date(end).toISOString(), to];
  }
  return range;
}
