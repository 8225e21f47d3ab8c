/**
 * The unit prices a statement line is keyed by: a call's five prices with the
 * fallbacks resolved, in plain notation, joined into `price_key` (or
 * `unpriced`). Two calls priced alike land on the same line whichever way
 * their event spelled the prices.
 */
import type { UsagePricing } from '@steward/contracts';
import { plainDecimal } from './exact-decimal';

/** The five unit prices of a line, fallbacks resolved (a missing cache price is the input price, a missing reasoning price the output price). */
export interface LinePrices {
  readonly key: string;
  readonly input: string | null;
  readonly cacheRead: string | null;
  readonly cacheCreation: string | null;
  readonly output: string | null;
  readonly reasoning: string | null;
}

export const UNPRICED_KEY = 'unpriced';

const UNPRICED: LinePrices = { key: UNPRICED_KEY, input: null, cacheRead: null, cacheCreation: null, output: null, reasoning: null };
/** Resolved prices by the unit prices as the event states them (a batch repeats a handful of prices thousands of times); bounded. */
const resolved = new Map<string, LinePrices>();

export function linePrices(pricing: UsagePricing): LinePrices {
  if (pricing.status === 'unpriced') return UNPRICED;
  const unit = pricing.unitPrices;
  const stated = `${unit.input}|${unit.cacheRead ?? ''}|${unit.cacheCreation ?? ''}|${unit.output}|${unit.reasoningOutput ?? ''}`;
  let prices = resolved.get(stated);
  if (!prices) {
    prices = resolvePrices(unit);
    if (resolved.size >= 10_000) resolved.clear();
    resolved.set(stated, prices);
  }
  return prices;
}

function resolvePrices(unit: Extract<UsagePricing, { status: 'priced' }>['unitPrices']): LinePrices {
  const input = plainDecimal(unit.input);
  const output = plainDecimal(unit.output);
  const cacheRead = plainDecimal(unit.cacheRead ?? unit.input);
  const cacheCreation = plainDecimal(unit.cacheCreation ?? unit.input);
  const reasoning = plainDecimal(unit.reasoningOutput ?? unit.output);
  return { key: [input, cacheRead, cacheCreation, output, reasoning].join('|'), input, cacheRead, cacheCreation, output, reasoning };
}

/** The prices a stored `price_key` stands for (the line a corrected call leaves). */
export function pricesOfKey(key: string): LinePrices {
  if (key === UNPRICED_KEY) return { key, input: null, cacheRead: null, cacheCreation: null, output: null, reasoning: null };
  const [input, cacheRead, cacheCreation, output, reasoning] = key.split('|') as [string, string, string, string, string];
  return { key, input, cacheRead, cacheCreation, output, reasoning };
}
