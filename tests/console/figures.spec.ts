/** How the console prints and orders the API's figures: money as exact decimal text, never through a float. */
import { compareDecimals, formatCount, formatMs, formatPercent, formatUsd } from '@steward/console';

describe('figures of the console', () => {
  it('prints money with every decimal the API gave, at least two, grouped by thousands', () => {
    expect(formatUsd('0')).toBe('$0.00');
    expect(formatUsd('2.5')).toBe('$2.50');
    expect(formatUsd('1234567.125')).toBe('$1,234,567.125');
    expect(formatUsd('0.000077380952381')).toBe('$0.000077380952381');
    // beyond a double's precision: still exactly the text
    expect(formatUsd('90071992547409.9312345678')).toBe('$90,071,992,547,409.9312345678');
    expect(formatUsd('-3.10')).toBe('-$3.10');
  });

  it('prints counts, milliseconds and percentages', () => {
    expect(formatCount(31_400)).toBe('31,400');
    expect(formatMs(447.6)).toBe('448 ms');
    expect(formatMs(null)).toBe('—');
    expect(formatPercent(96.2962)).toBe('96.3');
  });

  it('orders decimal texts by value, exactly, where a text or a float order would not', () => {
    const sorted = ['0.1', '0.05', '10', '9.99', '0.000000000000000001', '0', '-2', '-10.5', '90071992547409.93', '90071992547409.92'].sort((a, b) => compareDecimals(a, b)!);
    expect(sorted).toEqual(['-10.5', '-2', '0', '0.000000000000000001', '0.05', '0.1', '9.99', '10', '90071992547409.92', '90071992547409.93']);
    expect(compareDecimals('1.50', '1.5')).toBe(0);
    expect(compareDecimals('007', '7')).toBe(0);
    expect(compareDecimals('-0', '0')).toBe(0);
    expect(compareDecimals('pricing not configured', '1')).toBeUndefined();
  });
});
