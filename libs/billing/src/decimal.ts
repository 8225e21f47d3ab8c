import Decimal from 'decimal.js';

/**
 * Billing's exact decimals: 50 significant digits (credits of 15 integer digits
 * with 12 places and their products stay exact), never exponent notation in
 * text. A clone: no other module's settings leak in or out.
 */
export const BillingDecimal = Decimal.clone({ precision: 50, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -9e15, toExpPos: 9e15 });
export type BillingDecimal = Decimal;

/** Credits are kept to 12 decimal places (the finest a price per token × rate needs stays exact below it). */
export const CREDIT_SCALE = 12;

export function dec(value: Decimal.Value): Decimal {
  return new BillingDecimal(value);
}

/** Canonical text: no exponent, no trailing zeros, never "-0". */
export function amountText(value: Decimal.Value): string {
  const decimal = new BillingDecimal(value);
  if (decimal.isZero()) return '0';
  return decimal.toFixed();
}

/** Σ of decimal texts, exact. */
export function sumAmounts(values: Iterable<Decimal.Value>): string {
  let total = new BillingDecimal(0);
  for (const value of values) total = total.plus(value);
  return amountText(total);
}

/** USD rounded half-up to the cent, as text with two places. */
export function usdCents(value: Decimal.Value): string {
  return new BillingDecimal(value).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);
}

/**
 * An exact running sum of decimal texts (`"0.000002500000"`, `"-1.5"`) in BigInt at the finest scale seen:
 * several times cheaper per term than decimal.js, for sums over every usage event.
 */
export class ExactSum {
  private units = 0n;
  private scale = 0;

  add(text: string): void {
    const negative = text.startsWith('-');
    const body = negative ? text.slice(1) : text;
    const dot = body.indexOf('.');
    const fraction = dot === -1 ? '' : body.slice(dot + 1);
    const digits = dot === -1 ? body : body.slice(0, dot) + fraction;
    if (!/^\d+$/.test(digits)) throw new Error(`not a decimal: ${text}`);
    let value = BigInt(digits);
    if (fraction.length > this.scale) {
      this.units *= 10n ** BigInt(fraction.length - this.scale);
      this.scale = fraction.length;
    } else if (fraction.length < this.scale) {
      value *= 10n ** BigInt(this.scale - fraction.length);
    }
    this.units += negative ? -value : value;
  }

  isZero(): boolean {
    return this.units === 0n;
  }

  /** Canonical text (as amountText). */
  text(): string {
    if (this.units === 0n) return '0';
    const negative = this.units < 0n;
    const digits = (negative ? -this.units : this.units).toString().padStart(this.scale + 1, '0');
    const whole = digits.slice(0, digits.length - this.scale);
    const fraction = this.scale > 0 ? digits.slice(digits.length - this.scale).replace(/0+$/, '') : '';
    return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
  }
}
