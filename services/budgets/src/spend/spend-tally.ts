/**
 * Exact decimals for the spend reactor's inner loop (every usage event × every budget it falls under): an
 * amount is parsed once per event into an integer of units at its scale, a period's spend is a running
 * BigInt, and threshold levels are compared as integers — no decimal objects, no text, per budget.
 */

/** value = units / 10^scale. */
export interface Scaled {
  readonly units: bigint;
  readonly scale: number;
}

const DECIMAL = /^(-?)(\d*)(?:\.(\d*))?$/;
const POWERS: bigint[] = [1n];

function pow10(exponent: number): bigint {
  for (let next = POWERS.length; next <= exponent; next++) POWERS.push(POWERS[next - 1]! * 10n);
  return POWERS[exponent]!;
}

/** A decimal text (`"0.004250000000"`, `"-1.5"`, `"12"`) exactly. */
export function parseDecimal(text: string): Scaled {
  const match = DECIMAL.exec(text);
  const whole = match?.[2] ?? '';
  const fraction = match?.[3] ?? '';
  if (!match || whole.length + fraction.length === 0) throw new Error(`not a decimal: ${text}`);
  const units = BigInt(whole + fraction);
  return { units: match[1] === '-' ? -units : units, scale: fraction.length };
}

export function compareScaled(left: Scaled, right: Scaled): -1 | 0 | 1 {
  let a = left.units;
  let b = right.units;
  if (left.scale < right.scale) a *= pow10(right.scale - left.scale);
  else if (right.scale < left.scale) b *= pow10(left.scale - right.scale);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Canonical text: no exponent, no trailing zeros, never "-0" (as @steward/billing's amountText). */
export function scaledText(value: Scaled): string {
  if (value.units === 0n) return '0';
  const negative = value.units < 0n;
  const digits = (negative ? -value.units : value.units).toString().padStart(value.scale + 1, '0');
  const whole = digits.slice(0, digits.length - value.scale);
  const fraction = value.scale > 0 ? digits.slice(digits.length - value.scale).replace(/0+$/, '') : '';
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** A running exact sum. */
export class SpendTally {
  private units: bigint;
  private scale: number;

  constructor(start: Scaled = { units: 0n, scale: 0 }) {
    this.units = start.units;
    this.scale = start.scale;
  }

  add(amount: Scaled): void {
    if (amount.scale > this.scale) {
      this.units = this.units * pow10(amount.scale - this.scale) + amount.units;
      this.scale = amount.scale;
    } else {
      this.units += amount.scale === this.scale ? amount.units : amount.units * pow10(this.scale - amount.scale);
    }
  }

  value(): Scaled {
    return { units: this.units, scale: this.scale };
  }

  text(): string {
    return scaledText(this.value());
  }
}
