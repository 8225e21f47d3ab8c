import { SumAccumulator, decimalText, type GlobalPosition } from './event-store.port';

/** The reference: every value as a bigint at a common scale. */
function referenceSum(values: readonly string[]): string {
  const scale = Math.max(0, ...values.map((value) => (value.includes('.') ? value.length - value.indexOf('.') - 1 : 0)));
  let units = 0n;
  for (const value of values) {
    const negative = value.startsWith('-');
    const [whole, fraction = ''] = (negative ? value.slice(1) : value).split('.');
    const magnitude = BigInt(whole! + fraction.padEnd(scale, '0'));
    units += negative ? -magnitude : magnitude;
  }
  return decimalText(units, scale);
}

const at = (n: number): GlobalPosition => ({ commit: BigInt(n), prepare: BigInt(n) });

function fold(values: readonly string[], instants: ReadonlyArray<string | undefined> = []) {
  const sums = new SumAccumulator<number>(true);
  values.forEach((value, index) => sums.add('g', value, index, instants[index]));
  return sums.groupsWith(at)[0];
}

/** A deterministic pseudo-random source (the spec reproduces). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

describe('SumAccumulator: exact decimal sums', () => {
  it.each([
    ['costs of mixed scales', ['0.0061', '0.00123', '1', '0.5', '12.000001']],
    ['negatives and corrections netting to zero', ['0.1', '-0.1', '0.000000000001', '-0.000000000001']],
    ['values past 15 digits', ['123456789012345678.123456789', '0.000000000000000001', '-99999999999999999999']],
    ['a running sum past 2^53 units', Array.from({ length: 40 }, () => '999999999999.999')],
    ['scales that cannot be aligned in a number', ['900000000000000', '0.000000000000001', '1']],
    ['zeros, leading zeros, -0', ['0', '-0', '007.50', '0.000']],
  ])('%s', (_title, values) => {
    expect(fold(values)!.sum).toBe(referenceSum(values));
  });

  it('matches the bigint reference on 2 000 random sequences', () => {
    const next = random(7);
    for (let round = 0; round < 2_000; round++) {
      const values = Array.from({ length: 1 + Math.floor(next() * 30) }, () => {
        const digits = 1 + Math.floor(next() * (next() < 0.1 ? 25 : 14));
        let text = '';
        for (let d = 0; d < digits; d++) text += String(Math.floor(next() * 10));
        const dot = Math.floor(next() * digits);
        const value = dot === 0 ? text : `${text.slice(0, dot)}.${text.slice(dot)}`;
        return next() < 0.3 ? `-${value}` : value;
      });
      expect([values, fold(values)!.sum]).toEqual([values, referenceSum(values)]);
    }
  });

  it('folds no value that is not plain decimal text', () => {
    const sums = new SumAccumulator<number>();
    for (const value of ['1e3', '.5', '1.', '-', '', '+1', ' 1', '1.2.3', '0x10', 'NaN', '1,5']) expect(sums.add('g', value, 0)).toBe(false);
    expect(sums.groupsWith(at)).toEqual([]);
  });

  it('keeps the first and last position, the count, and the span of canonical and other instants', () => {
    const group = fold(['1', '2', '3', '4'], ['2026-03-02T00:00:00.000Z', '2026-03-01T23:00:00-02:00', undefined, '2026-02-28T10:00:00.000Z'])!;
    expect(group).toMatchObject({ first: at(0), last: at(3), count: 4, unspanned: 1, sum: '10' });
    expect(new Date(group.earliest!).toISOString()).toBe('2026-02-28T10:00:00.000Z');
    expect(new Date(group.latest!).toISOString()).toBe('2026-03-02T01:00:00.000Z');
  });
});
