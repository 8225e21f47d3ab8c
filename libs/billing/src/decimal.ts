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
