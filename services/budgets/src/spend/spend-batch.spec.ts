import { addEachUsage, addUsage, type SpendUsage } from './spend-batch';
import { ThresholdTally, parseDecimal } from './spend-tally';
import { thresholdLevels } from './threshold-crossings';

interface Target {
  readonly name: string;
  readonly total: ThresholdTally;
  adds: number;
  through?: number;
}

interface Outcome {
  /** Every threshold reached: target, percent, the event, the spend just after. */
  readonly crossings: string[];
  /** Each target's final spend and the last event added to it. */
  readonly finals: Record<string, { spend: string; through: number | undefined }>;
  /** Amounts added (the CPU the batch spends on the inner loop). */
  readonly adds: number;
}

interface TargetSpec {
  readonly name: string;
  readonly start: string;
  readonly limit: string;
  readonly thresholds: number[];
}

/**
 * Runs `calls` (event number, key, amount) through `add` on fresh targets; a key names the targets its
 * events add to, in order.
 */
function run(add: typeof addUsage, specs: readonly TargetSpec[], keys: Record<string, string[]>, calls: ReadonlyArray<readonly [number, string, string]>): Outcome {
  const targets = new Map(specs.map((spec) => [spec.name, { name: spec.name, total: new ThresholdTally(parseDecimal(spec.start), thresholdLevels(spec.limit, spec.thresholds)), adds: 0 } as Target]));
  const arrays = new Map(Object.entries(keys).map(([key, names]) => [key, names.map((name) => targets.get(name)!)]));
  const usages: Array<SpendUsage<number, Target>> = calls.map(([event, key, amount]) => ({ event, amount: parseDecimal(amount), targets: arrays.get(key)! }));
  const crossings: string[] = [];
  let adds = 0;
  add(usages, (target, event, reached) => {
    adds++;
    target.through = event;
    for (const percent of reached) crossings.push(`${target.name} ${percent}% by #${event} at ${target.total.text()}`);
  });
  return { crossings, finals: Object.fromEntries([...targets].map(([name, target]) => [name, { spend: target.total.text(), through: target.through }])), adds };
}

/** Both ways, asserting they agree; the aggregated outcome. */
function agree(specs: readonly TargetSpec[], keys: Record<string, string[]>, calls: ReadonlyArray<readonly [number, string, string]>): Outcome {
  const each = run(addEachUsage, specs, keys, calls);
  const batched = run(addUsage, specs, keys, calls);
  expect(batched.crossings).toEqual(each.crossings);
  expect(batched.finals).toEqual(each.finals);
  return batched;
}

describe('addUsage (a batch pre-aggregated per key, exact crossings)', () => {
  // `all` covers every call, `gpt` the calls of key A, `claude` those of key B
  const keys = { A: ['all', 'gpt'], B: ['all', 'claude'] };

  it('adds a key its total at once when no threshold is within reach: the same final spend', () => {
    const specs = [
      { name: 'all', start: '1', limit: '100', thresholds: [50, 100] },
      { name: 'gpt', start: '0', limit: '10', thresholds: [80] },
      { name: 'claude', start: '2.5', limit: '10', thresholds: [50] },
    ];
    const calls = Array.from({ length: 40 }, (_, index) => [index, index % 3 === 0 ? 'B' : 'A', `0.0${10 + index}`] as const);
    const outcome = agree(specs, keys, calls);
    expect(outcome.crossings).toEqual([]);
    expect(outcome.finals.all!.spend).toBe('2.18');
    expect(outcome.finals.gpt!.through).toBe(38);
    expect(outcome.finals.claude!.through).toBe(39);
    // one add per key and target instead of one per call and target
    expect(outcome.adds).toBe(4);
  });

  it('attributes a crossing in the middle of a key to the event per-event processing gives it', () => {
    const specs = [
      { name: 'all', start: '4', limit: '10', thresholds: [50, 80] },
      { name: 'gpt', start: '0', limit: '1000', thresholds: [100] },
      { name: 'claude', start: '0', limit: '1000', thresholds: [100] },
    ];
    // all: 4 → 4.9 after #0..#2, 5.0 at #3 (key B, not A's last) reaches 50 %
    const calls = [[0, 'A', '0.3'], [1, 'B', '0.3'], [2, 'A', '0.3'], [3, 'B', '0.1'], [4, 'A', '0.3'], [5, 'B', '2.7'], [6, 'A', '0.1']] as const;
    const outcome = agree(specs, keys, calls);
    expect(outcome.crossings).toEqual(['all 50% by #3 at 5', 'all 80% by #5 at 8']);
    // `all` event by event (7), gpt and claude a key at a time (2)
    expect(outcome.adds).toBe(9);
  });

  it('reaches a threshold with the exact level at the exact event (decimals of several scales)', () => {
    const specs = [{ name: 'all', start: '0', limit: '0.333', thresholds: [33] }, { name: 'gpt', start: '0', limit: '1', thresholds: [] }, { name: 'claude', start: '0', limit: '1', thresholds: [] }];
    const calls = [[0, 'A', '0.1'], [1, 'B', '0.009889999999'], [2, 'A', '0.000000000001'], [3, 'B', '0.05']] as const;
    expect(agree(specs, keys, calls).crossings).toEqual(['all 33% by #2 at 0.10989']);
  });

  it('keeps each period of a budget apart (calls of two periods are two keys with different targets)', () => {
    // daily budget: yesterday's spend near its threshold, today's far from it; a weekly one holds both days
    const specs = [
      { name: 'day-1', start: '9.95', limit: '10', thresholds: [100] },
      { name: 'day-2', start: '0', limit: '10', thresholds: [100] },
      { name: 'week', start: '30', limit: '80', thresholds: [50] },
    ];
    const periods = { late: ['day-1', 'week'], early: ['day-2', 'week'] };
    const calls = [[0, 'late', '0.02'], [1, 'early', '0.5'], [2, 'late', '0.02'], [3, 'early', '9.5'], [4, 'late', '0.02'], [5, 'early', '0.2']] as const;
    const outcome = agree(specs, periods, calls);
    expect(outcome.crossings).toEqual(['day-2 100% by #3 at 10', 'week 50% by #3 at 40.04', 'day-1 100% by #4 at 10.01']);
  });

  it('handles corrections exactly: a fall and a rise back reach a level again, a fall alone reaches nothing', () => {
    const specs = [
      { name: 'all', start: '5.2', limit: '10', thresholds: [50] },
      { name: 'gpt', start: '3', limit: '10', thresholds: [50] },
      { name: 'claude', start: '0', limit: '10', thresholds: [50] },
    ];
    // all: 5.2 → 4.9 (#1, a correction of key B) → 5.1 (#2) reaches 50 % again; gpt stays below 5 throughout
    const back = agree(specs, keys, [[0, 'A', '0.1'], [1, 'B', '-0.4'], [2, 'A', '0.1'], [3, 'B', '0.1']]);
    expect(back.crossings).toEqual(['all 50% by #2 at 5']);
    // falls only: nothing reached, and one add per key and target
    const falls = agree(specs, keys, [[0, 'A', '-0.1'], [1, 'B', '-0.01'], [2, 'A', '-0.1'], [3, 'B', '-0.02']]);
    expect(falls.crossings).toEqual([]);
    expect(falls.finals.all!.spend).toBe('4.97');
    expect(falls.adds).toBe(4);
    // a fall that stays above the level below: quiet, added at once
    const above = agree(specs, keys, [[0, 'A', '-0.1'], [1, 'B', '0.1'], [2, 'A', '0.1']]);
    expect(above.adds).toBe(4);
  });

  it('agrees with per-event processing over random batches of keys, periods, rises and corrections', () => {
    let seed = 11;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const names = ['w', 'a1', 'a2', 'm1', 'm2', 'k', 'wd2'];
    const manyKeys: Record<string, string[]> = { x: ['w', 'a1', 'm1', 'k'], y: ['w', 'a1', 'm2'], z: ['w', 'a2', 'm1'], u: ['w', 'a2', 'm2', 'k'], v: ['wd2', 'a2'] };
    for (let round = 0; round < 200; round++) {
      const specs = names.map((name) => ({
        name,
        start: (random() * 20).toFixed(3),
        limit: ['5', '10', '20.5', '0.333'][Math.floor(random() * 4)]!,
        thresholds: [[50, 80, 100], [10, 25, 50, 75, 100], [90], []][Math.floor(random() * 4)]!,
      }));
      const calls = Array.from({ length: 1 + Math.floor(random() * 60) }, (_, index) => {
        const key = Object.keys(manyKeys)[Math.floor(random() * 5)]!;
        const amount = random() < 0.15 ? `-${(random() * 2).toFixed(4)}` : (random() * (random() < 0.1 ? 3 : 0.2)).toFixed(1 + Math.floor(random() * 12));
        return [index, key, amount] as const;
      });
      agree(specs, manyKeys, calls);
    }
  });
});

describe('ThresholdTally.mayReach', () => {
  const tally = (start: string) => new ThresholdTally(parseDecimal(start), thresholdLevels('10', [50, 80]));
  it('is true when the rises could reach the next level, or a fall could go under the level below', () => {
    expect(tally('4').mayReach(parseDecimal('0.999999'), parseDecimal('0'))).toBe(false);
    expect(tally('4').mayReach(parseDecimal('1'), parseDecimal('0'))).toBe(true);
    expect(tally('5').mayReach(parseDecimal('2.9'), parseDecimal('0'))).toBe(false);
    expect(tally('5').mayReach(parseDecimal('0.1'), parseDecimal('0.001'))).toBe(true);
    expect(tally('5.5').mayReach(parseDecimal('0.1'), parseDecimal('0.5'))).toBe(false);
    expect(tally('9').mayReach(parseDecimal('100'), parseDecimal('1'))).toBe(false);
    expect(tally('9').mayReach(parseDecimal('0.1'), parseDecimal('1.0000001'))).toBe(true);
    // falls alone reach nothing
    expect(tally('9').mayReach(parseDecimal('0'), parseDecimal('5'))).toBe(false);
  });
});
