import Decimal from 'decimal.js';
import { TOKEN_TYPES, type UnitPrices } from '@steward/contracts';

/** Wide enough that shifting any price by 10^6 never rounds: the conversion is exact both ways. */
const Exact = Decimal.clone({ precision: 200, toExpNeg: -9e15, toExpPos: 9e15 });
const MILLION = new Exact(1_000_000);

function scaled(prices: UnitPrices, scale: (value: Decimal) => Decimal): UnitPrices {
  const out: Record<string, string> = {};
  for (const type of TOKEN_TYPES) {
    const value = prices[type];
    if (value === undefined) continue;
    const result = scale(new Exact(value));
    out[type] = result.isZero() ? '0' : result.toFixed();
  }
  return out as UnitPrices;
}

/** USD per token → USD per 1M tokens (what providers publish), exact decimal text. */
export function pricesPerMillionTokens(perToken: UnitPrices): UnitPrices {
  return scaled(perToken, (value) => value.times(MILLION));
}

/** USD per 1M tokens → USD per token (what usage is priced with), exact decimal text. */
export function pricesPerToken(perMillionTokens: UnitPrices): UnitPrices {
  return scaled(perMillionTokens, (value) => value.div(MILLION));
}
