import { billingPeriod, endedPeriodsSince, graceEndOf, lastEndedPeriod, periodAt } from './billing-period';

const iso = (ms: number) => new Date(ms).toISOString();

describe('billing periods', () => {
  it('cuts Pacific/Kiritimati (+14) months at its own midnight, a UTC day earlier', () => {
    const march = billingPeriod('2026-03', 'Pacific/Kiritimati');
    expect(iso(march.start)).toBe('2026-02-28T10:00:00.000Z');
    expect(iso(march.end)).toBe('2026-03-31T10:00:00.000Z');
    // an instant that is still 31 March in UTC is April in Kiritimati
    expect(periodAt(Date.parse('2026-03-31T12:00:00Z'), 'Pacific/Kiritimati').period).toBe('2026-04');
  });

  it('cuts America/Los_Angeles months across a DST change (March has 743 hours, November 721)', () => {
    const march = billingPeriod('2026-03', 'America/Los_Angeles');
    expect(iso(march.start)).toBe('2026-03-01T08:00:00.000Z'); // PST
    expect(iso(march.end)).toBe('2026-04-01T07:00:00.000Z'); // PDT
    expect((march.end - march.start) / 3_600_000).toBe(31 * 24 - 1);
    const november = billingPeriod('2026-11', 'America/Los_Angeles');
    expect((november.end - november.start) / 3_600_000).toBe(30 * 24 + 1);
  });

  it('the period that just ended is the same for every run inside the next month (no second invoice)', () => {
    const zone = 'Pacific/Kiritimati';
    // Lago #879: a run at 10:30Z on 31 March (already April there) and one a day later both close March
    expect(lastEndedPeriod(Date.parse('2026-03-31T10:30:00Z'), zone).period).toBe('2026-03');
    expect(lastEndedPeriod(Date.parse('2026-04-01T10:00:00Z'), zone).period).toBe('2026-03');
    expect(lastEndedPeriod(Date.parse('2026-03-31T09:59:59Z'), zone).period).toBe('2026-02');
  });

  it('handles a zone that skips midnight (America/Santiago starts September at 01:00)', () => {
    const september = billingPeriod('2026-09', 'America/Santiago');
    expect(periodAt(september.start, 'America/Santiago').period).toBe('2026-09');
    expect(periodAt(september.start - 1, 'America/Santiago').period).toBe('2026-08');
  });

  it('the grace period ends whole days after the period', () => {
    const march = billingPeriod('2026-03', 'UTC');
    expect(iso(graceEndOf(march, 3))).toBe('2026-04-04T00:00:00.000Z');
  });

  it('lists every ended period since the account opened, oldest first, in the account zone', () => {
    const labels = (openedAt: string, now: string, zone: string) => endedPeriodsSince(Date.parse(openedAt), Date.parse(now), zone).map((period) => period.period);
    expect(labels('2025-11-20T00:00:00Z', '2026-03-01T12:00:00Z', 'UTC')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    // still in its first period: nothing has ended
    expect(labels('2026-03-01T00:00:00Z', '2026-03-31T23:59:59Z', 'UTC')).toEqual([]);
    // opened 31 March 12:00Z, already April in Kiritimati: March never was the account's there
    expect(labels('2026-03-31T12:00:00Z', '2026-05-01T00:00:00Z', 'Pacific/Kiritimati')).toEqual(['2026-04']);
    const [first] = endedPeriodsSince(Date.parse('2026-01-10T00:00:00Z'), Date.parse('2026-04-01T12:00:00Z'), 'America/Los_Angeles');
    expect(first).toEqual(billingPeriod('2026-01', 'America/Los_Angeles'));
  });
});
