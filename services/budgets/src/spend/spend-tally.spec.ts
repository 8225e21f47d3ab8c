import { ThresholdTally, parseDecimal, scaledText } from './spend-tally';

describe('spend tally decimals', () => {
  it('sums decimal texts of any scale exactly', () => {
    const tally = new ThresholdTally(parseDecimal('12.5'), []);
    for (const amount of ['0.004250000000', '0.1', '-0.000000000001', '3']) tally.add(parseDecimal(amount));
    expect(tally.text()).toBe('15.604249999999');
    // 0.1 ten times is 1, not 0.9999999999999999
    const tenths = new ThresholdTally(parseDecimal('0'), []);
    for (let index = 0; index < 10; index++) tenths.add(parseDecimal('0.1'));
    expect(tenths.text()).toBe('1');
  });

  it('writes canonical text: no trailing zeros, no "-0", a zero before the point', () => {
    expect(scaledText(parseDecimal('1.500000000000'))).toBe('1.5');
    expect(scaledText(parseDecimal('-0.000'))).toBe('0');
    expect(scaledText(parseDecimal('0.000000000001'))).toBe('0.000000000001');
    expect(scaledText(parseDecimal('-2.050'))).toBe('-2.05');
    expect(scaledText(parseDecimal('.5'))).toBe('0.5');
  });

  it('refuses what is not a decimal', () => {
    for (const text of ['', '-', '1e3', '1.2.3', 'NaN', ' 1']) expect(() => parseDecimal(text)).toThrow(/not a decimal/);
  });
});
