import { dec } from '@steward/billing';
import { ThresholdTally, parseDecimal } from './spend-tally';
import { thresholdLevels, thresholdsCrossed } from './threshold-crossings';

describe('thresholdsCrossed', () => {
  it('names each threshold the spend reaches, exactly at the level included', () => {
    expect(thresholdsCrossed('10', [50, 80, 100], '0', '4.99')).toEqual([]);
    expect(thresholdsCrossed('10', [50, 80, 100], '4.99', '0.01')).toEqual([50]);
    expect(thresholdsCrossed('10', [100, 50, 80], '4', '6.01')).toEqual([50, 80, 100]);
    expect(thresholdsCrossed('0.3', [100], '0.1', '0.2')).toEqual([100]);
    // 0.333 × 33 % = 0.10989: reached at 0.10989, not at 0.109889999999
    expect(thresholdsCrossed('0.333', [33], '0', '0.109889999999')).toEqual([]);
    expect(thresholdsCrossed('0.333', [33], '0.109889999999', '0.000000000001')).toEqual([33]);
    expect(thresholdsCrossed('10', [1000, 100, 10], '0', '100')).toEqual([10, 100, 1000]);
  });

  it('names none when the spend stays above, or falls', () => {
    expect(thresholdsCrossed('10', [50], '5', '1')).toEqual([]);
    expect(thresholdsCrossed('10', [50], '6', '-2')).toEqual([]);
  });
});

describe('ThresholdTally', () => {
  it('agrees with before < limit × t / 100 ≤ after over a run of rises and corrections', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const limit = '10.75';
    const thresholds = [10, 25, 50, 80, 100, 150];
    const tally = new ThresholdTally(parseDecimal('0'), thresholdLevels(limit, thresholds));
    let spend = dec(0);
    let crossings = 0;
    for (let step = 0; step < 2_000; step++) {
      // mostly small priced calls of 12 places, now and then a correction down
      const amount = random() < 0.1 ? `-${(random() * 0.05).toFixed(6)}` : (random() * 0.02).toFixed(12);
      const after = spend.plus(amount);
      const expected = thresholds.filter((percent) => {
        const level = dec(limit).times(percent).dividedBy(100);
        return spend.lessThan(level) && after.greaterThanOrEqualTo(level);
      });
      expect({ step, crossed: [...tally.add(parseDecimal(amount))] }).toEqual({ step, crossed: expected });
      crossings += expected.length;
      spend = after;
      expect(tally.text()).toBe(spend.isZero() ? '0' : spend.toFixed());
    }
    expect(crossings).toBeGreaterThanOrEqual(thresholds.length);
  });

  it('takes new levels where the spend stands (a budget changed)', () => {
    const tally = new ThresholdTally(parseDecimal('6'), thresholdLevels('10', [50, 80]));
    tally.relevel(thresholdLevels('20', [25, 50]));
    expect(tally.add(parseDecimal('4'))).toEqual([50]);
  });
});
