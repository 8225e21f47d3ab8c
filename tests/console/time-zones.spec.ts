/** The console's time-zone helpers: instants shown and date filters read in the profile's zone, across DST. */
import { formatInstant, instantToWallClock, wallClockToInstant, zoneOffsetMs } from '@steward/console';

describe('time zones of the console', () => {
  it('knows a zone\'s offset, summer and winter', () => {
    expect(zoneOffsetMs(Date.parse('2026-01-15T12:00:00Z'), 'Europe/Paris')).toBe(3_600_000);
    expect(zoneOffsetMs(Date.parse('2026-07-15T12:00:00Z'), 'Europe/Paris')).toBe(7_200_000);
    expect(zoneOffsetMs(Date.parse('2026-07-15T12:00:00Z'), 'Asia/Kolkata')).toBe(19_800_000);
    expect(zoneOffsetMs(Date.parse('2026-07-15T12:00:00Z'), 'UTC')).toBe(0);
  });

  it('reads a wall-clock time typed in a zone as the right instant, on both sides of a DST change', () => {
    expect(wallClockToInstant('2026-03-28T12:00', 'Europe/Paris')).toBe('2026-03-28T11:00:00.000Z');
    expect(wallClockToInstant('2026-03-29T12:00', 'Europe/Paris')).toBe('2026-03-29T10:00:00.000Z');
    expect(wallClockToInstant('2026-12-07T09:30', 'America/New_York')).toBe('2026-12-07T14:30:00.000Z');
    expect(wallClockToInstant('not a time', 'UTC')).toBeUndefined();
  });

  it('shows an instant as the wall clock of the zone, and back again', () => {
    expect(instantToWallClock('2026-12-07T14:30:00.000Z', 'America/New_York')).toBe('2026-12-07T09:30');
    expect(instantToWallClock('2026-12-07T23:30:00.000Z', 'Asia/Tokyo')).toBe('2026-12-08T08:30');
    const typed = '2026-10-25T01:15';
    expect(instantToWallClock(wallClockToInstant(typed, 'Europe/London')!, 'Europe/London')).toBe(typed);
  });

  it('names the zone with every date it formats', () => {
    expect(formatInstant('2026-12-07T23:30:00.000Z', 'Asia/Tokyo')).toBe('8 Dec 2026, 08:30:00 Asia/Tokyo');
    expect(formatInstant('2026-12-07T23:30:00.000Z', 'UTC')).toMatch(/ UTC$/);
  });
});
