/**
 * USD as the counter store holds it: whole units of 10⁻⁸ USD, exact in an
 * IEEE double below 2⁵³ (about 90 million USD; a budget's limit is at most
 * 10 million). Amounts that count against a limit (spend, holds) are rounded
 * up to the unit, limits down, so the rounding can only refuse earlier by less
 * than a unit, never admit more.
 */
export const UNITS_PER_USD = 100_000_000n;
const SCALE = 8;

function split(value: string): { negative: boolean; whole: string; fraction: string } {
  const negative = value.startsWith('-');
  const [whole = '0', fraction = ''] = (negative || value.startsWith('+') ? value.slice(1) : value).split('.');
  return { negative, whole: whole === '' ? '0' : whole, fraction };
}

function toUnits(value: string, up: boolean): number {
  const { negative, whole, fraction } = split(value);
  let units = BigInt(whole) * UNITS_PER_USD + BigInt(fraction.slice(0, SCALE).padEnd(SCALE, '0'));
  const rest = fraction.slice(SCALE);
  const truncated = /[1-9]/.test(rest);
  if (truncated && up !== negative) units += 1n;
  return Number(negative ? -units : units);
}

/** Rounded up: a hold, a spend. */
export function unitsUp(usd: string): number {
  return toUnits(usd, true);
}

/** Rounded down: a limit. */
export function unitsDown(usd: string): number {
  return toUnits(usd, false);
}

/** Units back to USD text, exact (no trailing zeros). */
export function usdOfUnits(units: number): string {
  const big = BigInt(Math.round(units));
  const negative = big < 0n;
  const abs = negative ? -big : big;
  const whole = abs / UNITS_PER_USD;
  const fraction = (abs % UNITS_PER_USD).toString().padStart(SCALE, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}
