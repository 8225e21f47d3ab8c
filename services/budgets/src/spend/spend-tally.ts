/**
 * Exact decimals for the spend reactor's inner loop (every usage event × every budget it falls under): an
 * amount is parsed once per event into an integer of units at its scale, a period's spend is a running
 * BigInt, and its threshold levels are integers at the same scale — no decimal objects and no text per
 * budget, one comparison when no threshold is reached.
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

/** a + b, exactly, at the larger of their scales. */
export function addScaled(a: Scaled, b: Scaled): Scaled {
  if (a.scale === b.scale) return { units: a.units + b.units, scale: a.scale };
  return a.scale > b.scale
    ? { units: a.units + b.units * pow10(a.scale - b.scale), scale: a.scale }
    : { units: a.units * pow10(b.scale - a.scale) + b.units, scale: b.scale };
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

/** A threshold and the spend that reaches it (limit × percent / 100, exact). */
export interface ThresholdLevel {
  readonly percent: number;
  readonly level: Scaled;
}

const NONE: readonly number[] = Object.freeze([]);

/**
 * A period's spend and its threshold levels (lowest first) at one scale, with the index of the first level
 * the spend has not reached: adding an amount answers the thresholds it reaches (before < level ≤ after)
 * with one comparison when it reaches none. A spend that falls (a correction) moves the index back, so a
 * later rise reaches those levels again (the reactor's claims keep each crossing once per period).
 */
export class ThresholdTally {
  private units: bigint;
  private scale: number;
  private thresholds: readonly ThresholdLevel[] = [];
  private levels: bigint[] = [];
  private next = 0;

  constructor(start: Scaled, thresholds: readonly ThresholdLevel[]) {
    this.units = start.units;
    this.scale = start.scale;
    this.relevel(thresholds);
  }

  /** New levels (the budget changed): the index from the spend as it is. */
  relevel(thresholds: readonly ThresholdLevel[]): void {
    this.thresholds = thresholds;
    for (const { level } of thresholds) if (level.scale > this.scale) this.rescale(level.scale);
    this.levels = thresholds.map(({ level }) => level.units * pow10(this.scale - level.scale));
    this.next = 0;
    while (this.next < this.levels.length && this.levels[this.next]! <= this.units) this.next++;
  }

  /** Adds `amount`; the thresholds it reaches, lowest first. */
  add(amount: Scaled): readonly number[] {
    if (amount.scale > this.scale) this.rescale(amount.scale);
    this.units += amount.scale === this.scale ? amount.units : amount.units * pow10(this.scale - amount.scale);
    if (amount.units < 0n) {
      while (this.next > 0 && this.levels[this.next - 1]! > this.units) this.next--;
      return NONE;
    }
    let crossed: number[] | undefined;
    while (this.next < this.levels.length && this.levels[this.next]! <= this.units) {
      (crossed ??= []).push(this.thresholds[this.next]!.percent);
      this.next++;
    }
    return crossed ?? NONE;
  }

  /**
   * Whether a run of amounts whose rises sum to `rise` and whose falls sum to `fall` (both ≥ 0) could reach a
   * threshold, in any order and any grouping: every partial sum of the run lies in [spend − fall, spend + rise],
   * so a level is reached only when one lies in (spend − fall, spend + rise] — the lowest level above the
   * spend at most spend + rise, or (a fall, then a rise back: some rise) the highest at or below it above
   * spend − fall.
   * False: adding the run, one amount at a time or its sum at once, reaches nothing and ends at the same spend.
   */
  mayReach(rise: Scaled, fall: Scaled): boolean {
    const scale = Math.max(this.scale, rise.scale, fall.scale);
    const factor = pow10(scale - this.scale);
    const units = this.units * factor;
    if (this.next < this.levels.length && this.levels[this.next]! * factor <= units + rise.units * pow10(scale - rise.scale)) return true;
    return fall.units > 0n && rise.units > 0n && this.next > 0 && this.levels[this.next - 1]! * factor > units - fall.units * pow10(scale - fall.scale);
  }

  text(): string {
    return scaledText({ units: this.units, scale: this.scale });
  }

  private rescale(scale: number): void {
    const factor = pow10(scale - this.scale);
    this.units *= factor;
    this.levels = this.levels.map((level) => level * factor);
    this.scale = scale;
  }
}
