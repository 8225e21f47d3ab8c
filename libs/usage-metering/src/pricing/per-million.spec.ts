import { MAX_PRICE_PER_TOKEN } from '@steward/contracts';
import { pricesPerMillionTokens, pricesPerToken } from './per-million';

describe('prices per 1M tokens', () => {
  it('shifts every given price by six places, exactly, in token-type order', () => {
    const perMillion = pricesPerMillionTokens({ output: '0.00001', input: '0.0000025', cacheRead: '0.00000125' });
    expect(perMillion).toEqual({ input: '2.5', output: '10', cacheRead: '1.25' });
    expect(Object.keys(perMillion)).toEqual(['input', 'output', 'cacheRead']);
    expect(pricesPerToken({ input: '2.5', output: '10', cacheRead: '1.25' })).toEqual({ input: '0.0000025', output: '0.00001', cacheRead: '0.00000125' });
  });

  it('keeps the extremes exact: the finest and the largest price, and zero without a sign or a point', () => {
    const finest = '0.000000000000000000000001';
    expect(pricesPerMillionTokens({ input: finest, output: String(MAX_PRICE_PER_TOKEN) })).toEqual({ input: '0.000000000000000001', output: '1000000000' });
    expect(pricesPerToken({ input: '0.000000000000000001', output: '1000000000' })).toEqual({ input: finest, output: '1000' });
    expect(pricesPerMillionTokens({ input: '0', output: '0.000', reasoningOutput: '1234.567890123456789012345678' })).toEqual({
      input: '0',
      output: '0',
      reasoningOutput: '1234567890.123456789012345678',
    });
  });
});
