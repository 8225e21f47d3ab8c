/**
 * Billing periods: calendar months in the account's billing time zone, as
 * UTC instants. A period starts at the first instant whose local date is the
 * 1st of its month (local midnight, or the first minute after a gap where a
 * zone skips midnight), found by bisection on the zone's own calendar, so a
 * DST change inside the month (a 743- or 745-hour March or November in
 * America/Los_Angeles) and offsets east of UTC (Pacific/Kiritimati, +14) come
 * out exact. Pure: the clock comes in as an argument.
 */

export interface BillingPeriod {
  /** `YYYY-MM` in the billing time zone. */
  readonly period: string;
  readonly timeZone: string;
  /** Epoch ms, inclusive. */
  readonly start: number;
  /** Epoch ms, exclusive: the next period's start. */
  readonly end: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', calendar: 'iso8601', numberingSystem: 'latn' });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The local `YYYY-MM` of an instant in `timeZone`. */
export function periodLabelAt(instant: number, timeZone: string): string {
  const parts = formatterOf(timeZone).formatToParts(new Date(instant));
  const year = parts.find((part) => part.type === 'year')!.value.padStart(4, '0');
  const month = parts.find((part) => part.type === 'month')!.value;
  return `${year}-${month}`;
}

function nextLabel(period: string): string {
  const [year, month] = period.split('-').map(Number) as [number, number];
  return month === 12 ? `${String(year + 1).padStart(4, '0')}-01` : `${String(year).padStart(4, '0')}-${String(month + 1).padStart(2, '0')}`;
}

export function previousPeriodLabel(period: string): string {
  const [year, month] = period.split('-').map(Number) as [number, number];
  return month === 1 ? `${String(year - 1).padStart(4, '0')}-12` : `${String(year).padStart(4, '0')}-${String(month - 1).padStart(2, '0')}`;
}

/** The first instant whose local month is `period` or later. Every zone's offset lies within ±15 h of UTC. */
function startOf(period: string, timeZone: string): number {
  const [year, month] = period.split('-').map(Number) as [number, number];
  const utcMidnight = Date.UTC(year, month - 1, 1);
  let lo = utcMidnight - 15 * HOUR_MS; // local month before `period` here
  let hi = utcMidnight + 15 * HOUR_MS; // local month `period` here
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (periodLabelAt(mid, timeZone) >= period) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The period labelled `period` in `timeZone`. */
export function billingPeriod(period: string, timeZone: string): BillingPeriod {
  return { period, timeZone, start: startOf(period, timeZone), end: startOf(nextLabel(period), timeZone) };
}

/** The period an instant falls in. */
export function periodAt(instant: number, timeZone: string): BillingPeriod {
  return billingPeriod(periodLabelAt(instant, timeZone), timeZone);
}

/** The last period that has ended at `now` (the one before the period `now` is in). */
export function lastEndedPeriod(now: number, timeZone: string): BillingPeriod {
  return billingPeriod(previousPeriodLabel(periodLabelAt(now, timeZone)), timeZone);
}

/** When the draft of a period stops taking late usage: `graceDays` whole days after its end. */
export function graceEndOf(period: BillingPeriod, graceDays: number): number {
  return period.end + graceDays * DAY_MS;
}
