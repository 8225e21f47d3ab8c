import { budgetPeriodAt } from './periods';

describe('budgetPeriodAt', () => {
  it('starts an Asia/Kolkata day at local midnight, 18:30 UTC the day before', () => {
    expect(budgetPeriodAt('daily', 'Asia/Kolkata', '2026-12-07T18:29:59.999Z')).toEqual({ start: '2026-12-06T18:30:00.000Z', end: '2026-12-07T18:30:00.000Z', label: '2026-12-07' });
    expect(budgetPeriodAt('daily', 'Asia/Kolkata', '2026-12-07T18:30:00.000Z')).toEqual({ start: '2026-12-07T18:30:00.000Z', end: '2026-12-08T18:30:00.000Z', label: '2026-12-08' });
  });

  it('gives New York days of 23 and 25 hours across the DST changes, each from local midnight', () => {
    // 2026-03-08: clocks go forward at 02:00 (EST −5 → EDT −4)
    const spring = budgetPeriodAt('daily', 'America/New_York', '2026-03-08T12:00:00.000Z');
    expect(spring).toEqual({ start: '2026-03-08T05:00:00.000Z', end: '2026-03-09T04:00:00.000Z', label: '2026-03-08' });
    // 2026-11-01: clocks go back at 02:00 (EDT −4 → EST −5)
    const autumn = budgetPeriodAt('daily', 'America/New_York', '2026-11-01T12:00:00.000Z');
    expect(autumn).toEqual({ start: '2026-11-01T04:00:00.000Z', end: '2026-11-02T05:00:00.000Z', label: '2026-11-01' });
    expect(Date.parse(autumn.end) - Date.parse(autumn.start)).toBe(25 * 3_600_000);
    // a minute before local midnight after the change still belongs to Nov 1
    expect(budgetPeriodAt('daily', 'America/New_York', '2026-11-02T04:59:00.000Z').label).toBe('2026-11-01');
  });

  it('cuts ISO weeks from Monday and months from the first, in the zone', () => {
    expect(budgetPeriodAt('weekly', 'UTC', '2026-12-09T10:00:00.000Z')).toEqual({ start: '2026-12-07T00:00:00.000Z', end: '2026-12-14T00:00:00.000Z', label: '2026-W50' });
    expect(budgetPeriodAt('weekly', 'UTC', '2027-01-01T10:00:00.000Z').label).toBe('2026-W53');
    expect(budgetPeriodAt('monthly', 'Asia/Kolkata', '2026-11-30T19:00:00.000Z')).toEqual({ start: '2026-11-30T18:30:00.000Z', end: '2026-12-31T18:30:00.000Z', label: '2026-12' });
    expect(budgetPeriodAt('monthly', 'America/New_York', '2026-03-15T00:00:00.000Z')).toEqual({ start: '2026-03-01T05:00:00.000Z', end: '2026-04-01T04:00:00.000Z', label: '2026-03' });
  });
});
