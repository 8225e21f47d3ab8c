import Decimal from 'decimal.js';
import { ExactSum, plainDecimal, plainNegated, plainSum } from './exact-decimal';

describe('ExactSum', () => {
  it('adds decimal strings of any scale and sign exactly, in plain notation without trailing zeros', () => {
    expect(new ExactSum().toString()).toBe('0');
    expect(new ExactSum().add('0.1').add('0.2').toString()).toBe('0.3');
    expect(new ExactSum().add('12').add('0.000000000000000001').add('-12').toString()).toBe('0.000000000000000001');
    expect(new ExactSum().add('0.5').add('-0.75').toString()).toBe('-0.25');
    expect(new ExactSum().add('1.50').add('2.50').toString()).toBe('4');
    expect(new ExactSum().add('-3').add('3.000').isZero()).toBe(true);
  });

  it('has no drift over a million small costs (the same sum as decimal.js)', () => {
    const sum = new ExactSum();
    for (let n = 0; n < 1_000_000; n++) {
      const cost = `0.${String(1 + (n % 997)).padStart(9, '0')}`;
      sum.add(cost);
    }
    let closed = new Decimal(0);
    for (let n = 0; n < 1_000_000; n++) closed = closed.plus(`0.${String(1 + (n % 997)).padStart(9, '0')}`);
    expect(sum.toString()).toBe(closed.toFixed());
  });

  it('refuses what is not a plain decimal', () => {
    expect(() => new ExactSum().add('1e-7')).toThrow(RangeError);
    expect(() => new ExactSum().add('')).toThrow(RangeError);
  });
});

describe('plain notation', () => {
  it('writes tiny and huge values without exponent, trailing zeros or a negative zero', () => {
    expect(plainDecimal('1e-12')).toBe('0.000000000001');
    expect(plainDecimal('1.5e21')).toBe('1500000000000000000000');
    expect(plainDecimal('2.500')).toBe('2.5');
    expect(plainDecimal('-0')).toBe('0');
    expect(plainSum('0.1', '0.2')).toBe('0.3');
    expect(plainSum('0.0010', '-0.001')).toBe('0');
    expect(plainNegated('0.00775')).toBe('-0.00775');
  });
});
