import { localMidnight, nextPeriod, periodDays, periodEnd, periodOf, periodStart, previousPeriod, remainingDays } from './periods';

describe('billing periods in a time zone', () => {
  it('cuts months at local midnight east of UTC (+14, Pacific/Kiritimati)', () => {
    expect(new Date(periodStart('2026-03', 'Pacific/Kiritimati')).toISOString()).toBe('2026-02-28T10:00:00.000Z');
    expect(periodOf('2026-02-28T09:59:59.999Z', 'Pacific/Kiritimati')).toBe('2026-02');
    expect(periodOf('2026-02-28T10:00:00.000Z', 'Pacific/Kiritimati')).toBe('2026-03');
  });

  it('follows daylight saving in Los Angeles: March starts at 08:00 UTC (PST), April at 07:00 UTC (PDT)', () => {
    expect(new Date(periodStart('2026-03', 'America/Los_Angeles')).toISOString()).toBe('2026-03-01T08:00:00.000Z');
    expect(new Date(periodEnd('2026-03', 'America/Los_Angeles')).toISOString()).toBe('2026-04-01T07:00:00.000Z');
    // 23:30 on March 31st in Los Angeles is still March
    expect(periodOf('2026-04-01T06:30:00.000Z', 'America/Los_Angeles')).toBe('2026-03');
  });

  it('starts a day that begins in a DST gap when the gap ends', () => {
    // Santiago moves its clocks from 24:00 to 01:00 on the first Sunday of September 2024 (2024-09-08)
    const start = localMidnight(2024, 9, 8, 'America/Santiago');
    expect(periodOf(start, 'America/Santiago')).toBe('2024-09');
    expect(new Date(start).toISOString()).toBe('2024-09-08T04:00:00.000Z');
  });

  it('counts days left with the day itself, and months across years', () => {
    expect(periodDays('2028-02')).toBe(29);
    expect(remainingDays(Date.parse('2026-03-31T12:00:00Z'), '2026-03', 'UTC')).toBe(1);
    expect(remainingDays(Date.parse('2026-03-01T00:00:00Z'), '2026-03', 'UTC')).toBe(31);
    expect(nextPeriod('2026-12')).toBe('2027-01');
    expect(previousPeriod('2027-01')).toBe('2026-12');
  });
});
