/**
 * Billing periods: calendar months in an account's billing time zone. A
 * period's first instant is local midnight of its first day (DST and offsets
 * like +14:00 included), so an organization east or west of UTC has exactly
 * its own months, and two periods never overlap.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone);
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, found);
  }
  return found;
}

interface LocalTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

function localTime(instant: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/** The zone's offset from UTC at `instant`, in milliseconds (whole seconds). */
function offsetMs(instant: number, timeZone: string): number {
  const local = localTime(instant, timeZone);
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The first instant of local day (year, month, day) in the zone. Candidates are the wall time read with the
 * offset in force a day before and a day after; the earliest that falls on the day wins: midnight itself, the
 * first of two midnights (clocks set back over it), or the end of a gap that swallowed midnight.
 */
export function localMidnight(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day);
  const candidates = [wall - offsetMs(wall - 86_400_000, timeZone), wall - offsetMs(wall + 86_400_000, timeZone), wall - offsetMs(wall, timeZone)];
  const onTheDay = candidates.filter((candidate) => {
    const local = localTime(candidate, timeZone);
    return local.year === year && local.month === month && local.day === day;
  });
  if (onTheDay.length === 0) throw new Error(`no instant of ${year}-${month}-${day} found in ${timeZone}`);
  return Math.min(...onTheDay);
}

/** The period (`YYYY-MM`) holding `instant` in the zone. */
export function periodOf(instant: number | string | Date, timeZone: string): string {
  const ms = typeof instant === 'number' ? instant : new Date(instant).getTime();
  const local = localTime(ms, timeZone);
  return `${String(local.year).padStart(4, '0')}-${String(local.month).padStart(2, '0')}`;
}

function parsePeriod(period: string): { year: number; month: number } {
  const match = /^(\d{4})-(\d{2})$/.exec(period);
  if (!match) throw new Error(`not a period: ${period}`);
  return { year: Number(match[1]), month: Number(match[2]) };
}

export function nextPeriod(period: string): string {
  const { year, month } = parsePeriod(period);
  return month === 12 ? `${String(year + 1).padStart(4, '0')}-01` : `${String(year).padStart(4, '0')}-${String(month + 1).padStart(2, '0')}`;
}

export function previousPeriod(period: string): string {
  const { year, month } = parsePeriod(period);
  return month === 1 ? `${String(year - 1).padStart(4, '0')}-12` : `${String(year).padStart(4, '0')}-${String(month - 1).padStart(2, '0')}`;
}

/** The period's first instant (epoch ms) in the zone. */
export function periodStart(period: string, timeZone: string): number {
  const { year, month } = parsePeriod(period);
  return localMidnight(year, month, 1, timeZone);
}

/** The next period's first instant: the end, exclusive. */
export function periodEnd(period: string, timeZone: string): number {
  return periodStart(nextPeriod(period), timeZone);
}

/** Days in the period's month (28..31). */
export function periodDays(period: string): number {
  const { year, month } = parsePeriod(period);
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Days left in the period at `instant`, counting the local day of `instant` itself (1..periodDays). */
export function remainingDays(instant: number, period: string, timeZone: string): number {
  const local = localTime(instant, timeZone);
  return periodDays(period) - local.day + 1;
}

/** The local calendar date (`YYYY-MM-DD`) of the period's first day: the next invoice date of the period before it. */
export function periodFirstDay(period: string): string {
  return `${period}-01`;
}
