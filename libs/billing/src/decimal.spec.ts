import { ExactSum, sumAmounts } from './decimal';

describe('ExactSum', () => {
  it('sums decimal texts exactly, as decimal.js does', () => {
    const terms = ['0.000002500000', '-1.5', '12', '0.000000333333333333', '-0.000000333333333333', '7.25', '-17.75', '0'];
    const sum = new ExactSum();
    for (const term of terms) sum.add(term);
    expect(sum.text()).toBe(sumAmounts(terms));
    expect(sum.text()).toBe('0.0000025');
  });

  it('answers 0 for nothing or a cancelled sum, and refuses what is not a decimal', () => {
    const sum = new ExactSum();
    expect(sum.text()).toBe('0');
    sum.add('0.10');
    sum.add('-0.1');
    expect([sum.isZero(), sum.text()]).toEqual([true, '0']);
    expect(() => sum.add('1e5')).toThrow(/not a decimal/);
    const small = new ExactSum();
    small.add('-0.003');
    expect(small.text()).toBe('-0.003');
  });
});
