import { addScaled, type Scaled, type ThresholdTally } from './spend-tally';

/** A budget's spend in one period, as the reactor keeps it through a batch. */
export interface SpendTarget {
  readonly total: ThresholdTally;
}

/**
 * One usage event of a batch: its amount and the period spends it adds to, in the order of the budgets
 * covering it. Events of the same kind — same workspace, agent, provider, model and key, so the same
 * covering budgets, and a time in the same period of each — share one `targets` array: that array is
 * their key.
 */
export interface SpendUsage<E, T extends SpendTarget> {
  readonly event: E;
  readonly amount: Scaled;
  readonly targets: readonly T[];
}

/** Called for each amount added to a target, with the thresholds it reached (lowest first; mostly none). */
export type OnAdded<E, T> = (target: T, event: E, reached: readonly number[]) => void;

const ZERO: Scaled = { units: 0n, scale: 0 };

interface KeyRun<T> {
  total: Scaled;
  rise: Scaled;
  fall: Scaled;
  /** The index of its last event in the run. */
  last: number;
  /** Its targets that could reach a threshold in this run: each of its events added to them in turn. */
  hot: T[];
  /** The others: the key's total added to them at once, at its last event. */
  quiet: T[];
}

/**
 * Adds a run of usage events (in the order of the store) to their targets, as adding each event to each
 * of its targets in turn would — the same thresholds reached, by the same events, with the same spend
 * after each, in the same order, and the same spend at the end — but adds most of them a key at a time:
 *
 * - A target's rises and falls in the run are summed over every event that adds to it, whatever its key.
 *   When they could not reach one of its thresholds (ThresholdTally.mayReach false), it is quiet: no
 *   partial sum of its amounts, in any order or grouping, reaches a threshold, and the sum is the same
 *   however it is taken (exact integers). A quiet target gets each key's total once, at the key's last
 *   event.
 * - Otherwise it is hot: every event of every key adding to it is added to it alone, in the order of the
 *   run. Its spend before each event is then exactly the spend per-event processing gives (the same
 *   amounts, in the same order: no other event adds to it), so each threshold is reached by the same event
 *   with the same spend. The event's hot targets are visited in its targets' order, and quiet ones reach
 *   nothing, so `onAdded` sees the thresholds reached in the same order as per-event processing.
 * - Each target's last `onAdded` is at the latest event adding to it (a key's total comes at the key's last
 *   event), as per-event processing ends.
 *
 * Events of different keys sharing a target need no other order than this: a quiet target does not care,
 * a hot one sees them one by one in the run's order.
 */
export function addUsage<E, T extends SpendTarget>(usages: readonly SpendUsage<E, T>[], onAdded: OnAdded<E, T>): void {
  const keys = new Map<readonly T[], KeyRun<T>>();
  for (let index = 0; index < usages.length; index++) {
    const { amount, targets } = usages[index]!;
    let run = keys.get(targets);
    if (!run) keys.set(targets, (run = { total: ZERO, rise: ZERO, fall: ZERO, last: index, hot: [], quiet: [] }));
    run.total = addScaled(run.total, amount);
    if (amount.units > 0n) run.rise = addScaled(run.rise, amount);
    else run.fall = addScaled(run.fall, { units: -amount.units, scale: amount.scale });
    run.last = index;
  }
  // every target's rises and falls, over all the keys adding to it
  const moves = new Map<T, { rise: Scaled; fall: Scaled }>();
  for (const [targets, run] of keys) {
    for (const target of targets) {
      const move = moves.get(target);
      if (move) {
        move.rise = addScaled(move.rise, run.rise);
        move.fall = addScaled(move.fall, run.fall);
      } else moves.set(target, { rise: run.rise, fall: run.fall });
    }
  }
  const hot = new Set<T>();
  for (const [target, move] of moves) if (target.total.mayReach(move.rise, move.fall)) hot.add(target);
  for (const [targets, run] of keys) for (const target of targets) (hot.has(target) ? run.hot : run.quiet).push(target);

  for (let index = 0; index < usages.length; index++) {
    const { event, amount, targets } = usages[index]!;
    const run = keys.get(targets)!;
    for (let hotIndex = 0; hotIndex < run.hot.length; hotIndex++) {
      const target = run.hot[hotIndex]!;
      onAdded(target, event, target.total.add(amount));
    }
    if (run.last === index) {
      for (let quietIndex = 0; quietIndex < run.quiet.length; quietIndex++) {
        const target = run.quiet[quietIndex]!;
        onAdded(target, event, target.total.add(run.total));
      }
    }
  }
}

/** The reference: each event added to each of its targets in turn (what addUsage must agree with). */
export function addEachUsage<E, T extends SpendTarget>(usages: readonly SpendUsage<E, T>[], onAdded: OnAdded<E, T>): void {
  for (const { event, amount, targets } of usages) for (const target of targets) onAdded(target, event, target.total.add(amount));
}
