import { parseDecimal } from './spend-tally';
import { levelsCrossed, thresholdLevels, thresholdsCrossed } from './threshold-crossings';

describe('thresholdsCrossed', () => {
  it('names each threshold the spend reaches, exactly at the level included', () => {
    expect(thresholdsCrossed('10', [50, 80, 100], '0', '4.99')).toEqual([]);
    expect(thresholdsCrossed('10', [50, 80, 100], '4.99', '5')).toEqual([50]);
    expect(thresholdsCrossed('10', [100, 50, 80], '4', '10.01')).toEqual([50, 80, 100]);
    expect(thresholdsCrossed('0.3', [100], '0.1', '0.3')).toEqual([100]);
  });

  it('names none when the spend stays above, or falls', () => {
    expect(thresholdsCrossed('10', [50], '5', '6')).toEqual([]);
    expect(thresholdsCrossed('10', [50], '6', '4')).toEqual([]);
  });
});

describe('levelsCrossed', () => {
  it('compares the spend with limit × percent / 100 exactly, whatever the scales', () => {
    // 0.333 × 33 % = 0.10989: reached at 0.10989, not at 0.109889999999
    const levels = thresholdLevels('0.333', [33]);
    expect(levelsCrossed(levels, parseDecimal('0'), parseDecimal('0.109889999999'))).toEqual([]);
    expect(levelsCrossed(levels, parseDecimal('0.109889999999'), parseDecimal('0.10989'))).toEqual([33]);
    expect(levelsCrossed(thresholdLevels('10', [1000, 100, 10]), parseDecimal('0'), parseDecimal('100'))).toEqual([10, 100, 1000]);
  });
});
