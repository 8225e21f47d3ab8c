import { decimalText, subtractCosts, sumCosts, usageCost, usageCostDecimal, UsageDecimal, type TokenCounts } from './cost';

const tokens = (counts: Partial<TokenCounts>): TokenCounts => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadInputTokens: 0,
  cacheCreationInputTokens: 0,
  reasoningOutputTokens: 0,
  ...counts,
});

/** |actual − expected| ≤ 1e-12 USD, and the text is plain decimal. */
function expectCost(actual: string, expected: string): void {
  expect(actual).toMatch(/^-?(0|[1-9]\d*)(\.\d*[1-9])?$/);
  expect(new UsageDecimal(actual).minus(expected).abs().lte('1e-12')).toBe(true);
}

describe('usageCost', () => {
  it('prices plain input and output tokens', () => {
    expectCost(usageCost(tokens({ inputTokens: 1000, outputTokens: 500 }), { input: '0.0000025', output: '0.00001' }), '0.0075');
  });

  it('prices cache-read tokens at their own price, once: they are part of the input tokens', () => {
    // 600 plain × 2.5e-6 = 0.0015; 400 cached × 1.25e-6 = 0.0005; 500 × 1e-5 = 0.005
    const cost = usageCost(tokens({ inputTokens: 1000, cacheReadInputTokens: 400, outputTokens: 500 }), {
      input: '0.0000025',
      output: '0.00001',
      cacheRead: '0.00000125',
    });
    expect(cost).toBe('0.007');
  });

  it('prices cache reads and cache writes apart from the plain input', () => {
    // 2,000 × 3e-6 = 0.006; 6,000 × 3e-7 = 0.0018; 2,000 × 3.75e-6 = 0.0075; 1,200 × 1.5e-5 = 0.018
    const cost = usageCost(tokens({ inputTokens: 10_000, cacheReadInputTokens: 6000, cacheCreationInputTokens: 2000, outputTokens: 1200 }), {
      input: '0.000003',
      output: '0.000015',
      cacheRead: '0.0000003',
      cacheCreation: '0.00000375',
    });
    expect(cost).toBe('0.0333');
  });

  it('prices reasoning tokens at the reasoning price, or the output price when there is none', () => {
    const call = tokens({ inputTokens: 123, outputTokens: 4567, reasoningOutputTokens: 4000 });
    // 123 × 1.5e-5 = 0.001845; 567 × 6e-5 = 0.03402; 4,000 × 6e-5 = 0.24
    expect(usageCost(call, { input: '0.000015', output: '0.00006' })).toBe('0.275865');
    // … 4,000 × 7e-5 = 0.28
    expect(usageCost(call, { input: '0.000015', output: '0.00006', reasoningOutput: '0.00007' })).toBe('0.315865');
  });

  it('falls back to the input price for cache tokens without a price of their own', () => {
    const cost = usageCost(tokens({ inputTokens: 100, cacheReadInputTokens: 30, cacheCreationInputTokens: 20, outputTokens: 0 }), {
      input: '0.000001',
      output: '0.000002',
    });
    expect(cost).toBe('0.0001');
  });

  it('stays exact where a float would not: many digits, huge counts', () => {
    const cost = usageCost(tokens({ inputTokens: 999_999_999_999, outputTokens: 123_456_789 }), {
      input: '0.000000123456789012345',
      output: '0.00000000987654321',
    });
    expect(cost).toBe('123458.008338532669563677655');
    expect(999_999_999_999 * 0.000000123456789012345 + 123_456_789 * 0.00000000987654321).not.toBe(Number(cost)); // what a float gives
  });

  it('answers "0" for no tokens and for free models', () => {
    expect(usageCost(tokens({}), { input: '0.000001', output: '0.000002' })).toBe('0');
    expect(usageCost(tokens({ inputTokens: 5, outputTokens: 5 }), { input: '0', output: '0' })).toBe('0');
  });

  it('refuses counts whose parts exceed their whole', () => {
    expect(() => usageCost(tokens({ inputTokens: 10, cacheReadInputTokens: 11 }), { input: '1', output: '1' })).toThrow(RangeError);
    expect(() => usageCost(tokens({ outputTokens: 1, reasoningOutputTokens: 2 }), { input: '1', output: '1' })).toThrow(RangeError);
  });
});

describe('sums of costs', () => {
  it('adds 1,000,000 small costs without drift: the sum is the exact product', () => {
    const prices = { input: '0.0000001', output: '0.0000003', cacheRead: '0.00000001' };
    let inputTokens = 0;
    let cachedTokens = 0;
    let outputTokens = 0;
    const costs: string[] = [];
    let floatSum = 0;
    // 105 different calls (the token counts cycle with periods 7, 3 and 5), each priced once, repeated.
    const calls = Array.from({ length: 105 }, (_, index) => tokens({ inputTokens: 3 + (index % 7), cacheReadInputTokens: index % 3, outputTokens: 1 + (index % 5) }));
    const callCosts = calls.map((call) => usageCost(call, prices));
    for (let index = 0; index < 1_000_000; index += 1) {
      const call = calls[index % 105]!;
      inputTokens += call.inputTokens - call.cacheReadInputTokens;
      cachedTokens += call.cacheReadInputTokens;
      outputTokens += call.outputTokens;
      const cost = callCosts[index % 105]!;
      costs.push(cost);
      floatSum += Number(cost);
    }
    const exact = new UsageDecimal(prices.input)
      .times(inputTokens)
      .plus(new UsageDecimal(prices.cacheRead).times(cachedTokens))
      .plus(new UsageDecimal(prices.output).times(outputTokens));
    expect(sumCosts(costs)).toBe(decimalText(exact));
    expect(String(floatSum)).not.toBe(decimalText(exact)); // the drift the decimals avoid
  });

  it('subtracts exactly (a re-rating delta), never answering "-0"', () => {
    expect(subtractCosts('0.3', '0.1')).toBe('0.2');
    expect(subtractCosts('0.1', '0.3')).toBe('-0.2');
    expect(subtractCosts('0.1', '0.1')).toBe('0');
  });

  it('writes decimals in plain notation without trailing zeros', () => {
    expect(decimalText('2.5e-6')).toBe('0.0000025');
    expect(decimalText('1.2300')).toBe('1.23');
    expect(decimalText('1e21')).toBe('1000000000000000000000');
  });
});

describe('usageCost on integers agrees with decimal.js', () => {
  it('gives usageCostDecimal’s exact text for many calls and prices, large counts and long prices included', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const price = (): string => {
      const kind = random();
      if (kind < 0.1) return '0';
      if (kind < 0.2) return String(Math.floor(random() * 100));
      const fraction = Array.from({ length: 1 + Math.floor(random() * 26) }, () => Math.floor(random() * 10)).join('');
      return `${kind < 0.3 ? Math.floor(random() * 1000) : 0}.${fraction}`;
    };
    const count = (): number => (random() < 0.2 ? 0 : random() < 0.1 ? Math.floor(random() * 1e12) : Math.floor(random() * 100_000));
    for (let i = 0; i < 5000; i++) {
      const inputTokens = count();
      const outputTokens = count();
      const cacheReadInputTokens = Math.floor(inputTokens * random() * 0.5);
      const cacheCreationInputTokens = Math.floor(inputTokens * random() * 0.4);
      const reasoningOutputTokens = Math.floor(outputTokens * random());
      const call = tokens({ inputTokens, outputTokens, cacheReadInputTokens, cacheCreationInputTokens, reasoningOutputTokens });
      const prices = {
        input: price(),
        output: price(),
        ...(random() < 0.5 ? { cacheRead: price() } : {}),
        ...(random() < 0.3 ? { cacheCreation: price() } : {}),
        ...(random() < 0.3 ? { reasoningOutput: price() } : {}),
      };
      expect(usageCost(call, prices)).toBe(decimalText(usageCostDecimal(call, prices)));
    }
  });

  it('takes decimal.js for counts that are not non-negative integers', () => {
    const prices = { input: '0.3', output: '0.7', cacheRead: '0.1' };
    for (const call of [tokens({ inputTokens: 1.5, outputTokens: 2 }), tokens({ inputTokens: 10, cacheReadInputTokens: -4, outputTokens: 1 })]) {
      expect(usageCost(call, prices)).toBe(decimalText(usageCostDecimal(call, prices)));
    }
    expect(usageCost(tokens({ inputTokens: 1.5 }), prices)).toBe('0.45');
  });

  it('takes decimal.js past 40 digits, rounding as it does', () => {
    const call = tokens({ inputTokens: 999_999_999_999, outputTokens: 999_999_999_999 });
    const prices = { input: '0.123456789012345678901234567891', output: '7.000000000000000000000000000001' };
    expect(usageCost(call, prices)).toBe(decimalText(usageCostDecimal(call, prices)));
  });
});
