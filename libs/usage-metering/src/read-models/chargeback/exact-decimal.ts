/**
 * Exact decimal arithmetic on the money the usage events carry: a running sum
 * of many costs that never drifts, and one value in plain notation (PostgreSQL
 * numeric parameters and price keys never hold exponent notation).
 */
import Decimal from 'decimal.js';

/**
 * Exact decimals (60 digits hold any sum of costs of 24 decimals), never exponent notation; a quotient rounds half
 * up. A clone, so no other module's Decimal settings change an answer.
 */
export const Exact = Decimal.clone({ precision: 60, toExpNeg: -9e15, toExpPos: 9e15 });

/** `value` in plain notation without trailing zeros, `"0"` for zero (negative zero included). */
export function plainDecimal(value: Decimal.Value): string {
  const decimal = new Exact(value);
  return decimal.isZero() ? '0' : decimal.toFixed();
}

/** `a + b`, exact, in plain notation. */
export function plainSum(a: Decimal.Value, b: Decimal.Value): string {
  return plainDecimal(new Exact(a).plus(b));
}

/** `-value`, exact, in plain notation. */
export function plainNegated(value: Decimal.Value): string {
  return plainDecimal(new Exact(value).negated());
}

const POWERS: bigint[] = [1n];
function powerOfTen(exponent: number): bigint {
  for (let n = POWERS.length; n <= exponent; n++) POWERS.push(POWERS[n - 1]! * 10n);
  return POWERS[exponent]!;
}

/**
 * An exact sum of decimal strings in plain notation (`-?digits(.digits)?`, as
 * the usage events carry money), kept as a bigint of units at the largest
 * scale seen: no rounding, no drift, whatever the number of terms.
 */
export class ExactSum {
  private units = 0n;
  private scale = 0;

  add(text: string): this {
    const negative = text.charCodeAt(0) === 45; // '-'
    const body = negative ? text.slice(1) : text;
    const dot = body.indexOf('.');
    const scale = dot < 0 ? 0 : body.length - dot - 1;
    const digits = dot < 0 ? body : body.slice(0, dot) + body.slice(dot + 1);
    if (!/^\d+$/.test(digits)) throw new RangeError(`not a plain decimal: ${text}`);
    if (scale > this.scale) {
      this.units *= powerOfTen(scale - this.scale);
      this.scale = scale;
    }
    const value = BigInt(digits) * powerOfTen(this.scale - scale);
    this.units += negative ? -value : value;
    return this;
  }

  isZero(): boolean {
    return this.units === 0n;
  }

  /** Plain notation, no trailing zeros, `"0"` for zero. */
  toString(): string {
    if (this.units === 0n) return '0';
    const negative = this.units < 0n;
    const digits = (negative ? -this.units : this.units).toString().padStart(this.scale + 1, '0');
    const whole = digits.slice(0, digits.length - this.scale);
    const fraction = digits.slice(digits.length - this.scale).replace(/0+$/, '');
    return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
  }
}
