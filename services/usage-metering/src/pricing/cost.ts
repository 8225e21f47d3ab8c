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
  return decimalText(usageCostDecimal(tokens, prices));
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
