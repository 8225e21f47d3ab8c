import { thresholdsCrossed } from './threshold-crossings';

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
