import type { BenchOptions } from './bench-options';
import { batchesOf, usageDataSet, type UsageEvent } from './usage-events';

/** One timed result: `events` handled in `seconds`. */
export interface Measurement {
  readonly contender: string;
  /** Stable name for lookups and the JSON summary (`batch`, `single-c1`, …). */
  readonly key: string;
  readonly metric: string;
  readonly events: number;
  readonly seconds: number;
  readonly note?: string;
}

export function eventsPerSecond(measurement: Pick<Measurement, 'events' | 'seconds'>): number {
  return measurement.seconds > 0 ? measurement.events / measurement.seconds : 0;
}

export type MeasurementLabel = Pick<Measurement, 'contender' | 'key' | 'metric' | 'note'>;

/** What a contender's process hands back: the phases it finished, and why it stopped early. */
export interface ContenderOutcome {
  measurements: Measurement[];
  error?: string;
}

/** Where a contender puts each result as soon as it has it (a later phase may fail or time out). */
export interface MeasurementSink {
  push(measurement: Measurement): void;
}

/** The longest one timed phase may take before the contender gives up (BENCH_PHASE_TIMEOUT, seconds). */
export function phaseTimeoutMs(): number {
  const seconds = Number(process.env.BENCH_PHASE_TIMEOUT ?? 120);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 120_000;
}

/** Times `work`, which returns how many events it handled; fails when it exceeds the phase timeout. */
export async function measure(label: MeasurementLabel, work: () => Promise<number>): Promise<Measurement> {
  const { contender, metric } = label;
  const limit = phaseTimeoutMs();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${contender} ${metric}: no result after ${limit / 1000} s (BENCH_PHASE_TIMEOUT)`)), limit);
  });
  const started = process.hrtime.bigint();
  const events = await Promise.race([work(), timeout]).finally(() => clearTimeout(timer));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const measurement: Measurement = { ...label, events, seconds };
  console.log(
    `  ${contender.padEnd(8)} ${metric.padEnd(34)} ${String(events).padStart(8)} ev ${seconds.toFixed(2).padStart(7)} s ${Math.round(eventsPerSecond(measurement)).toLocaleString('en-US').padStart(9)} ev/s`,
  );
  return measurement;
}

/**
 * Runs `work(index, worker)` for every index in [0, count) on `concurrency`
 * workers. Worker `w` takes indices w, w + c, w + 2c, …, so a caller can give
 * each worker streams of its own (no two workers write one stream).
 */
export async function runConcurrently(
  count: number,
  concurrency: number,
  work: (index: number, worker: number) => Promise<void>,
): Promise<void> {
  const workers = Array.from({ length: Math.min(concurrency, count) }, async (_, worker) => {
    for (let index = worker; index < count; index += concurrency) await work(index, worker);
  });
  await Promise.all(workers);
}

/** The data sets every contender appends: byte-identical in every process (seeded). */
export interface BenchData {
  /** Appended before timing starts (not counted), to warm pools, plans and caches. */
  readonly warmup: readonly UsageEvent[];
  /** The main data set: batch append, then read-all and replay. */
  readonly main: readonly UsageEvent[];
  /** Single-event appends at concurrency 1. */
  readonly single: readonly UsageEvent[];
  /** Single-event appends at concurrency `options.concurrency`. */
  readonly concurrent: readonly UsageEvent[];
}

export function benchData(options: BenchOptions): BenchData {
  const shape = { batchSize: options.batch, streams: options.streams, streamsPerBatch: options.streamsPerBatch };
  return {
    warmup: asReceived(usageDataSet({ ...shape, seed: 'warmup', count: 3 * options.batch, streamPrefix: 'usage-warmup' })),
    main: asReceived(usageDataSet({ ...shape, seed: 'main', count: options.events, streamPrefix: 'usage' })),
    single: asReceived(usageDataSet({ ...shape, seed: 'single', count: options.singleEvents, streamPrefix: 'usage-single' })),
    concurrent: asReceived(
      usageDataSet({
        ...shape,
        seed: 'concurrent',
        count: options.singleEvents,
        streamPrefix: 'usage-concurrent',
      }),
    ),
  };
}

/**
 * The events as a service holds them: parsed from a JSON body. The generator
 * glues ids and names together from pieces (V8 keeps such strings as trees of
 * their parts), and whichever contender first reads one whole pays to flatten
 * it, a cost no real caller has; parsed strings are flat.
 */
function asReceived(events: UsageEvent[]): UsageEvent[] {
  return JSON.parse(JSON.stringify(events)) as UsageEvent[];
}

/** The stream a single-event append goes to: the event's stream, owned by one worker. */
export function workerStream(event: UsageEvent, worker: number): string {
  return `${event.streamId}-w${worker}`;
}

/** Warm-up: two batches appended as batches, then 200 single-event appends at full concurrency. */
export function warmupPlan(data: BenchData, batch: number): { batches: UsageEvent[][]; singles: UsageEvent[]; events: number } {
  const batches = batchesOf(data.warmup, batch);
  const singles = (batches[2] ?? []).slice(0, 200);
  const first = batches.slice(0, 2);
  return { batches: first, singles, events: first.reduce((sum, b) => sum + b.length, 0) + singles.length };
}
