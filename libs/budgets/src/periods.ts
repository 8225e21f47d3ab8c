import { localMidnight } from '@steward/billing';
import type { BudgetPeriod, BudgetPeriodKind } from '@steward/contracts';

/*
 * A budget's periods: calendar days, ISO weeks (Monday to Sunday) or months
 * in the budget's time zone. A period starts at local midnight of its first
 * day (DST and offsets like +05:30 included: @steward/billing's localMidnight)
 * and ends where the next begins, so periods never overlap and never leave a gap.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function localDate(instant: number, timeZone: string): { year: number; month: number; day: number } {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(new Date(instant))) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return { year: parts.year!, month: parts.month!, day: parts.day! };
}

/** The calendar date `days` after (y, m, d), as a proleptic Gregorian date. */
function addDays(year: number, month: number, day: number, days: number): { year: number; month: number; day: number } {
  const at = new Date(Date.UTC(year, month - 1, day + days));
  return { year: at.getUTCFullYear(), month: at.getUTCMonth() + 1, day: at.getUTCDate() };
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** ISO 8601 week-year and week of a date (the week holding its Thursday). */
function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = new Date(Date.UTC(year, month - 1, day));
  const dow = (date.getUTCDay() + 6) % 7;
  date.setUTCDate(date.getUTCDate() - dow + 3);
  const weekYear = date.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(weekYear, 0, 4));
  const firstDow = (firstThursday.getUTCDay() + 6) % 7;
  firstThursday.setUTCDate(firstThursday.getUTCDate() - firstDow + 3);
  return { year: weekYear, week: 1 + Math.round((date.getTime() - firstThursday.getTime()) / (7 * 86_400_000)) };
}

/** The last period computed per kind and zone: admission asks for the current one thousands of times a second. */
const recent = new Map<string, { period: BudgetPeriod; start: number; end: number }>();

/** The budget period of `kind` in `timeZone` holding `instant`: its first instant, the next period's first, a label. */
export function budgetPeriodAt(kind: BudgetPeriodKind, timeZone: string, instant: number | string | Date): BudgetPeriod {
  const ms = typeof instant === 'number' ? instant : new Date(instant).getTime();
  const key = `${kind}|${timeZone}`;
  const known = recent.get(key);
  if (known && ms >= known.start && ms < known.end) return known.period;
  const period = computePeriod(kind, timeZone, ms);
  if (recent.size > 10_000) recent.clear();
  recent.set(key, { period, start: Date.parse(period.start), end: Date.parse(period.end) });
  return period;
}

function computePeriod(kind: BudgetPeriodKind, timeZone: string, ms: number): BudgetPeriod {
  const today = localDate(ms, timeZone);
  let first: { year: number; month: number; day: number };
  let next: { year: number; month: number; day: number };
  let label: string;
  switch (kind) {
    case 'daily':
      first = today;
      next = addDays(today.year, today.month, today.day, 1);
      label = `${today.year}-${pad(today.month)}-${pad(today.day)}`;
      break;
    case 'weekly': {
      const dow = (new Date(Date.UTC(today.year, today.month - 1, today.day)).getUTCDay() + 6) % 7;
      first = addDays(today.year, today.month, today.day, -dow);
      next = addDays(first.year, first.month, first.day, 7);
      const week = isoWeek(first.year, first.month, first.day);
      label = `${week.year}-W${pad(week.week)}`;
      break;
    }
    case 'monthly':
      first = { year: today.year, month: today.month, day: 1 };
      next = today.month === 12 ? { year: today.year + 1, month: 1, day: 1 } : { year: today.year, month: today.month + 1, day: 1 };
      label = `${today.year}-${pad(today.month)}`;
      break;
    default: {
      const _exhaustive: never = kind;
      throw new Error(`unknown period kind ${String(_exhaustive)}`);
    }
  }
  const start = localMidnight(first.year, first.month, first.day, timeZone);
  const end = localMidnight(next.year, next.month, next.day, timeZone);
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString(), label };
}
