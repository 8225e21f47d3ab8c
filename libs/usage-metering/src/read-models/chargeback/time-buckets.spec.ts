import { DAY_MS, HOUR_MS, QUARTER_MS, decompose, localBuckets, offsetAt, type Cell } from './time-buckets';

const at = (iso: string): number => Date.parse(iso);

/** The quarter hours a signed decomposition covers, each with its multiplicity (must be exactly 1 inside, 0 outside). */
function coverage(cells: readonly Cell[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const cell of cells) {
    for (let t = cell.start; t < cell.start + cell.grain * 60_000; t += QUARTER_MS) counts.set(t, (counts.get(t) ?? 0) + cell.sign);
  }
  for (const [t, count] of counts) if (count === 0) counts.delete(t);
  return counts;
}

function expectExact(from: number, to: number): Cell[] {
  const cells = decompose(from, to);
  const counts = coverage(cells);
  expect(counts.size).toBe((to - from) / QUARTER_MS);
  const wrong = [...counts].filter(([t, count]) => count !== 1 || t < from || t >= to);
  expect(wrong).toEqual([]);
  return cells;
}

describe('decompose', () => {
  it('covers every quarter hour of the range exactly once, with few cells', () => {
    expect(expectExact(at('2026-01-01T00:00:00Z'), at('2026-04-01T00:00:00Z'))).toHaveLength(90);
    // a Kolkata day: one UTC day minus/plus 5½ hours
    expect(expectExact(at('2026-03-01T18:30:00Z'), at('2026-03-02T18:30:00Z')).length).toBeLessThanOrEqual(15);
    // a New York day in winter: 1 day + 2 × 5 hours
    expect(expectExact(at('2026-01-10T05:00:00Z'), at('2026-01-11T05:00:00Z')).length).toBeLessThanOrEqual(11);
    expectExact(at('2026-01-10T05:45:00Z'), at('2026-01-10T06:45:00Z'));
    expectExact(at('2026-01-10T05:45:00Z'), at('2026-01-10T06:00:00Z'));
    expectExact(at('2026-02-03T07:15:00Z'), at('2026-05-19T13:45:00Z'));
    expect(decompose(at('2026-01-10T05:00:00Z'), at('2026-01-10T05:00:00Z'))).toEqual([]);
  });

  it('refuses instants off the quarter-hour grid', () => {
    expect(() => decompose(at('2026-01-10T05:01:00Z'), at('2026-01-10T06:00:00Z'))).toThrow(/quarter-hour/);
  });
});

describe('localBuckets', () => {
  it('Asia/Kolkata days start at 18:30 UTC the day before', () => {
    expect(offsetAt('Asia/Kolkata', at('2026-03-01T00:00:00Z'))).toBe(5.5 * HOUR_MS);
    const buckets = localBuckets(at('2026-02-28T18:30:00Z'), at('2026-03-03T18:30:00Z'), 'day', 'Asia/Kolkata');
    expect(buckets.map((bucket) => bucket.label)).toEqual(['2026-03-01T00:00:00+05:30', '2026-03-02T00:00:00+05:30', '2026-03-03T00:00:00+05:30']);
    expect(buckets.map((bucket) => new Date(bucket.start).toISOString())).toEqual(['2026-02-28T18:30:00.000Z', '2026-03-01T18:30:00.000Z', '2026-03-02T18:30:00.000Z']);
  });

  it('America/New_York: the spring-forward day is 23 hours, the fall-back day 25, the repeated hour its own bucket', () => {
    const spring = localBuckets(at('2026-03-07T05:00:00Z'), at('2026-03-10T04:00:00Z'), 'day', 'America/New_York');
    expect(spring.map((bucket) => bucket.label)).toEqual(['2026-03-07T00:00:00-05:00', '2026-03-08T00:00:00-05:00', '2026-03-09T00:00:00-04:00']);
    expect(spring.map((bucket) => (bucket.end - bucket.start) / HOUR_MS)).toEqual([24, 23, 24]);
    const fall = localBuckets(at('2026-10-31T04:00:00Z'), at('2026-11-03T05:00:00Z'), 'day', 'America/New_York');
    expect(fall.map((bucket) => (bucket.end - bucket.start) / HOUR_MS)).toEqual([24, 25, 24]);
    const hours = localBuckets(at('2026-11-01T04:00:00Z'), at('2026-11-01T09:00:00Z'), 'hour', 'America/New_York');
    expect(hours.map((bucket) => bucket.label)).toEqual([
      '2026-11-01T00:00:00-04:00',
      '2026-11-01T01:00:00-04:00',
      '2026-11-01T01:00:00-05:00',
      '2026-11-01T02:00:00-05:00',
      '2026-11-01T03:00:00-05:00',
    ]);
  });

  it('weeks start on Monday, months on the 1st, partial first and last buckets are clamped to the range', () => {
    const weeks = localBuckets(at('2026-01-01T00:00:00Z'), at('2026-01-20T00:00:00Z'), 'week', 'UTC');
    expect(weeks.map((bucket) => bucket.label)).toEqual(['2025-12-29T00:00:00+00:00', '2026-01-05T00:00:00+00:00', '2026-01-12T00:00:00+00:00', '2026-01-19T00:00:00+00:00']);
    expect(weeks[0]!.start).toBe(at('2026-01-01T00:00:00Z'));
    // April 1st begins at 22:00 UTC on March 31st in Paris (summer time)
    const months = localBuckets(at('2026-01-15T00:00:00Z'), at('2026-04-01T00:00:00Z'), 'month', 'Europe/Paris');
    expect(months.map((bucket) => bucket.label)).toEqual(['2026-01-01T00:00:00+01:00', '2026-02-01T00:00:00+01:00', '2026-03-01T00:00:00+01:00', '2026-04-01T00:00:00+02:00']);
    expect(months.map((bucket) => new Date(bucket.start).toISOString())).toEqual([
      '2026-01-15T00:00:00.000Z',
      '2026-01-31T23:00:00.000Z',
      '2026-02-28T23:00:00.000Z',
      '2026-03-31T22:00:00.000Z',
    ]);
    expect(months.at(-1)!.end).toBe(at('2026-04-01T00:00:00Z'));
  });

  it('refuses more buckets than allowed', () => {
    expect(() => localBuckets(0, 400 * DAY_MS, 'hour', 'UTC', 1000)).toThrow(/more than 1000/);
  });
});
