/**
 * What the chargeback projection needs to apply a batch with little CPU: an
 * exact running sum of decimal strings, and PostgreSQL array literals written
 * in one pass (sent as one text parameter each, cast in SQL: `$1::bigint[]`),
 * instead of pg's per-element escaping of JS arrays.
 */

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

/** A text[] literal: every element quoted (`""`, `NULL`, commas and braces stay text), null as NULL. */
export function textArray(values: readonly (string | null)[]): string {
  let out = '{';
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (index > 0) out += ',';
    if (value === null || value === undefined) out += 'NULL';
    else out += /["\\]/.test(value) ? `"${value.replace(/[\\"]/g, '\\$&')}"` : `"${value}"`;
  }
  return `${out}}`;
}

/** A literal of numbers or booleans (nothing to quote); null as NULL. */
export function plainArray(values: readonly (number | boolean | null)[]): string {
  let out = '{';
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (index > 0) out += ',';
    out += value === null || value === undefined ? 'NULL' : String(value);
  }
  return `${out}}`;
}
