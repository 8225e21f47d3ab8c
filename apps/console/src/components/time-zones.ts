/**
 * Instants and wall-clock times in a named IANA time zone, with the platform's Intl only (no DOM): the console
 * shows every date in the profile's zone and reads the date filters typed in it.
 */

/** How far `zone` is ahead of UTC at `instant`, in milliseconds. */
export function zoneOffsetMs(instant: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const part = (type: string) => Number(parts.find((candidate) => candidate.type === type)?.value);
  const asUtc = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** `2026-12-07T08:30` read as a wall-clock time in `zone` → the ISO instant; undefined when it is not one. */
export function wallClockToInstant(local: string, zone: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  const naive = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  if (Number.isNaN(naive)) return undefined;
  // the offset at the guess, then again at the corrected instant (a DST change between the two moves it)
  let instant = naive - zoneOffsetMs(naive, zone);
  instant = naive - zoneOffsetMs(instant, zone);
  return new Date(instant).toISOString();
}

/** An ISO instant → `2026-12-07T08:30` in `zone` (what a datetime-local input shows). */
export function instantToWallClock(iso: string, zone: string): string {
  const instant = new Date(iso).getTime();
  if (Number.isNaN(instant)) return '';
  return new Date(instant + zoneOffsetMs(instant, zone)).toISOString().slice(0, 16);
}

/** `7 Dec 2026, 08:30:12 Europe/Paris`: the instant in `zone`, the zone named. */
export function formatInstant(iso: string, zone: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const text = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: zone }).format(date);
  return `${text} ${zone}`;
}
