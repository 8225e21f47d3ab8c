/**
 * Billing periods as the invoice closer uses them: a calendar month in the
 * account's billing time zone (@steward/billing's periods: local midnight of
 * the 1st, DST and +14:00 included) as UTC instants, the last period ended at
 * a moment, and the grace period after it. Pure: the clock comes in.
 */
import { nextPeriod, periodEnd, periodOf, periodStart, previousPeriod } from '@steward/billing';

export interface BillingPeriod {
  /** `YYYY-MM` in the billing time zone. */
  readonly period: string;
  readonly timeZone: string;
  /** Epoch ms, inclusive. */
  readonly start: number;
  /** Epoch ms, exclusive: the next period's start. */
  readonly end: number;
}

const DAY_MS = 86_400_000;

/** The period labelled `period` in `timeZone`. */
export function billingPeriod(period: string, timeZone: string): BillingPeriod {
  return { period, timeZone, start: periodStart(period, timeZone), end: periodEnd(period, timeZone) };
}

/** The period an instant falls in. */
export function periodAt(instant: number, timeZone: string): BillingPeriod {
  return billingPeriod(periodOf(instant, timeZone), timeZone);
}

/** The last period that has ended at `now`: the one before the period `now` is in, in the zone. */
export function lastEndedPeriod(now: number, timeZone: string): BillingPeriod {
  return billingPeriod(previousPeriod(periodOf(now, timeZone)), timeZone);
}

/**
 * Every period that has ended at `now` since the one `openedAt` falls in, oldest first (none while the account's
 * first period runs). What the closer owes an invoice for, whether or not a run saw each end.
 */
export function endedPeriodsSince(openedAt: number, now: number, timeZone: string): BillingPeriod[] {
  const last = lastEndedPeriod(now, timeZone).period;
  const periods: BillingPeriod[] = [];
  for (let period = periodOf(openedAt, timeZone); period <= last; period = nextPeriod(period)) periods.push(billingPeriod(period, timeZone));
  return periods;
}

/** When the draft of a period stops taking late usage: `graceDays` × 24 h after its end. */
export function graceEndOf(period: BillingPeriod, graceDays: number): number {
  return period.end + graceDays * DAY_MS;
}
