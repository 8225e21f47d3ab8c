import Decimal from 'decimal.js';
import type { UnitPrices } from '@steward/contracts';

/**
 * The decimal type of usage money: 40 significant digits (a 13-digit token count times a price of up to
 * 27 significant digits stays exact), banker's rounding should rounding ever happen, and never exponent
 * notation in text. A clone, so no other module's Decimal settings leak in or out.
 */
export const UsageDecimal = Decimal.clone({
  precision: 40,
  rounding: Decimal.ROUND_HALF_EVEN,
  toExpNeg: -9e15,
  toExpPos: 9e15,
});
export type UsageDecimal = Decimal;

/** The token counts of one call. Input includes the cached tokens, output includes the reasoning tokens. */
export interface TokenCounts {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheCreationInputTokens: number;
  readonly reasoningOutputTokens: number;
}

interface ParsedPrices {
  readonly input: Decimal;
  readonly output: Decimal;
  readonly cacheRead: Decimal;
  readonly cacheCreation: Decimal;
  readonly reasoningOutput: Decimal;
}

// Unit prices are parsed once per prices object (the Pricer hands out the same object for every call of a model).
const parsed = new WeakMap<UnitPrices, ParsedPrices>();

function parsePrices(prices: UnitPrices): ParsedPrices {
  let found = parsed.get(prices);
  if (!found) {
    const input = new UsageDecimal(prices.input);
    const output = new UsageDecimal(prices.output);
    found = {
      input,
      output,
      cacheRead: prices.cacheRead === undefined ? input : new UsageDecimal(prices.cacheRead),
      cacheCreation: prices.cacheCreation === undefined ? input : new UsageDecimal(prices.cacheCreation),
      reasoningOutput: prices.reasoningOutput === undefined ? output : new UsageDecimal(prices.reasoningOutput),
    };
    parsed.set(prices, found);
  }
  return found;
}

/**
 * The exact cost of one call as a Decimal (USD). Every token is priced once:
 *
 *   (input − cacheRead − cacheCreation) × input + cacheRead × cacheRead price + cacheCreation × cacheCreation price
 *   + (output − reasoning) × output + reasoning × reasoningOutput price
 *
 * where a missing cache price falls back to the input price and a missing reasoning price to the output
 * price. Token counts beyond what they include (more cached than input tokens) are refused: a negative
 * count would silently make the cost wrong.
 */
export function usageCostDecimal(tokens: TokenCounts, prices: UnitPrices): Decimal {
  const plainInput = tokens.inputTokens - tokens.cacheReadInputTokens - tokens.cacheCreationInputTokens;
  const plainOutput = tokens.outputTokens - tokens.reasoningOutputTokens;
  if (plainInput < 0 || plainOutput < 0) {
    throw new RangeError('inputTokens include the cached tokens and outputTokens the reasoning tokens: a part exceeds its whole');
  }
  const unit = parsePrices(prices);
  let cost = new UsageDecimal(0);
  if (plainInput > 0) cost = cost.plus(unit.input.times(plainInput));
  if (tokens.cacheReadInputTokens > 0) cost = cost.plus(unit.cacheRead.times(tokens.cacheReadInputTokens));
  if (tokens.cacheCreationInputTokens > 0) cost = cost.plus(unit.cacheCreation.times(tokens.cacheCreationInputTokens));
  if (plainOutput > 0) cost = cost.plus(unit.output.times(plainOutput));
  if (tokens.reasoningOutputTokens > 0) cost = cost.plus(unit.reasoningOutput.times(tokens.reasoningOutputTokens));
  return cost;
}

/** The exact cost of one call as decimal text (USD): `"0.0123"`, never exponent notation, no trailing zeros. */
export function usageCost(tokens: TokenCounts, prices: UnitPrices): string {
  return scaledCost(tokens, prices) ?? decimalText(usageCostDecimal(tokens, prices));
}

/** A price as an integer count of 10^-scale USD: `"0.0000025"` → 25n at scale 7. */
interface ScaledPrice {
  readonly units: bigint;
  /** `units` as a number when it is a safe integer (most prices: a few digits), else undefined. */
  readonly small: number | undefined;
  readonly scale: number;
}

interface ScaledPrices {
  readonly input: ScaledPrice;
  readonly output: ScaledPrice;
  readonly cacheRead: ScaledPrice;
  readonly cacheCreation: ScaledPrice;
  readonly reasoningOutput: ScaledPrice;
  /** The largest scale of the five: every term is summed at it. */
  readonly scale: number;
}

/** 10^0 … 10^15 (exact doubles); a larger gap between two prices' scales is never a safe integer anyway. */
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, i) => 10 ** i);
const scaledPricesOf = new WeakMap<UnitPrices, ScaledPrices | null>();
const PLAIN_DECIMAL = /^(0|[1-9]\d*)(?:\.(\d+))?$/;

function scaledPrice(text: string): ScaledPrice | undefined {
  const match = PLAIN_DECIMAL.exec(text);
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  const units = BigInt(match[1]! + fraction);
  return { units, small: units <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(units) : undefined, scale: fraction.length };
}

function scaledPrices(prices: UnitPrices): ScaledPrices | null {
  let found = scaledPricesOf.get(prices);
  if (found !== undefined) return found;
  const input = scaledPrice(prices.input);
  const output = scaledPrice(prices.output);
  const cacheRead = prices.cacheRead === undefined ? input : scaledPrice(prices.cacheRead);
  const cacheCreation = prices.cacheCreation === undefined ? input : scaledPrice(prices.cacheCreation);
  const reasoningOutput = prices.reasoningOutput === undefined ? output : scaledPrice(prices.reasoningOutput);
  found =
    input && output && cacheRead && cacheCreation && reasoningOutput
      ? {
          input,
          output,
          cacheRead,
          cacheCreation,
          reasoningOutput,
          scale: Math.max(input.scale, output.scale, cacheRead.scale, cacheCreation.scale, reasoningOutput.scale),
        }
      : null;
  scaledPricesOf.set(prices, found);
  return found;
}

/**
 * `usageCostDecimal`'s text, computed on integers: each term `count × price` as an integer count of 10^-scale
 * USD at the prices' largest scale, then summed. The doubles below only ever hold integers, never a fraction.
 *
 * Why it is exact. The counts are non-negative integers (the contract's token counts are; any other count is
 * left to decimal.js) and so are the scaled prices, so every product and partial sum is a non-negative integer
 * no greater than the total.
 * - On doubles: a double holds every integer up to 2^53 − 1, and multiplies or adds two of them exactly
 *   whenever the exact result is also at most 2^53 − 1. A step whose exact result is larger rounds to a double
 *   of at least 2^53 (rounding is monotonic and 2^53 is a double), and adding non-negative terms never brings
 *   it back below: so the sum is a safe integer only if no step rounded. A price too long for a double, or a
 *   gap between scales beyond the powers of ten held, makes the sum NaN. Otherwise the same terms are summed
 *   as bigints, exact at any size.
 * - Against decimal.js: when the total has at most UsageDecimal's 40 digits, so has every term and partial
 *   sum, usageCostDecimal would not have rounded anywhere, and the text is the same. A longer total (or a
 *   price written another way) answers undefined: the caller takes decimal.js.
 *
 * Several times cheaper than decimal.js for the metering's every call.
 */
function scaledCost(tokens: TokenCounts, prices: UnitPrices): string | undefined {
  const plainInput = tokens.inputTokens - tokens.cacheReadInputTokens - tokens.cacheCreationInputTokens;
  const plainOutput = tokens.outputTokens - tokens.reasoningOutputTokens;
  const counts = [plainInput, tokens.cacheReadInputTokens, tokens.cacheCreationInputTokens, plainOutput, tokens.reasoningOutputTokens];
  // the argument needs non-negative integer counts: any other takes decimal.js (which refuses a part exceeding its whole)
  for (const count of counts) if (!Number.isSafeInteger(count) || count < 0) return undefined;
  const unit = scaledPrices(prices);
  if (!unit) return undefined;
  const terms = [unit.input, unit.cacheRead, unit.cacheCreation, unit.output, unit.reasoningOutput];
  let small = 0;
  for (let i = 0; i < 5 && Number.isSafeInteger(small); i++) {
    const price = terms[i]!;
    small += price.small === undefined ? Number.NaN : counts[i]! * price.small * POWERS_OF_TEN[unit.scale - price.scale]!;
  }
  let digits: string;
  if (Number.isSafeInteger(small)) {
    if (small === 0) return '0';
    digits = String(small);
  } else {
    let total = 0n;
    for (let i = 0; i < 5; i++) {
      const price = terms[i]!;
      if (counts[i]! > 0 && price.units > 0n) total += BigInt(counts[i]!) * price.units * 10n ** BigInt(unit.scale - price.scale);
    }
    if (total === 0n) return '0';
    digits = total.toString();
  }
  if (digits.length > 40) return undefined;
  if (unit.scale === 0) return digits;
  const padded = digits.length > unit.scale ? digits : digits.padStart(unit.scale + 1, '0');
  const whole = padded.slice(0, padded.length - unit.scale);
  let end = padded.length;
  while (end > whole.length && padded.charCodeAt(end - 1) === 48) end--; // trailing zeros of the fraction
  return end === whole.length ? whole : `${whole}.${padded.slice(whole.length, end)}`;
}

/** Decimal text of a value: plain notation, trailing zeros trimmed, `"0"` for zero (never `"-0"`). */
export function decimalText(value: Decimal.Value): string {
  const decimal = Decimal.isDecimal(value) ? (value as Decimal) : new UsageDecimal(value);
  if (!decimal.isFinite()) throw new RangeError(`not a finite decimal: ${String(value)}`);
  if (decimal.isZero()) return '0';
  return decimal.toFixed();
}

/** Exact sum of decimal texts. */
export function sumCosts(costs: Iterable<string>): string {
  let total = new UsageDecimal(0);
  for (const cost of costs) total = total.plus(cost);
  return decimalText(total);
}

/** Exact `a − b` of decimal texts (a re-rating's delta). */
export function subtractCosts(a: string, b: string): string {
  return decimalText(new UsageDecimal(a).minus(b));
}
