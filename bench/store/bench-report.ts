import type { BenchOptions } from './bench-options';
import { eventsPerSecond, type Measurement } from './measurement';

/** Targets: batch append at least twice Emmett's, replay at least 50 000 ev/s. */
export const TARGETS = { batchVsEmmett: 2, replayEventsPerSecond: 50_000 } as const;

const rate = (value: number) => Math.round(value).toLocaleString('en-US');

function find(measurements: readonly Measurement[], contender: string, key: string): Measurement | undefined {
  return measurements.find((m) => m.contender === contender && m.key === key);
}

function rateOf(measurements: readonly Measurement[], contender: string, key: string): number | undefined {
  const found = find(measurements, contender, key);
  return found ? eventsPerSecond(found) : undefined;
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
}

function table(rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: readonly string[]) =>
    row.map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ');
  const [header, ...body] = rows;
  return [line(header!), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export interface Verdict {
  readonly name: string;
  readonly value: number | undefined;
  readonly target?: string;
  readonly result?: 'PASS' | 'MISS' | 'n/a';
}

export function verdicts(measurements: readonly Measurement[]): Verdict[] {
  const stewardSequential = rateOf(measurements, 'steward', 'batch');
  const stewardParallel = rateOf(measurements, 'steward', 'batch-parallel');
  const emmettSequential = rateOf(measurements, 'emmett', 'batch-sequential');
  const emmettParallel = rateOf(measurements, 'emmett', 'batch-parallel');
  const emmettBest =
    emmettSequential === undefined && emmettParallel === undefined
      ? undefined
      : Math.max(emmettSequential ?? 0, emmettParallel ?? 0);
  const replay = rateOf(measurements, 'steward', 'replay');
  const sequential = ratio(stewardSequential, emmettSequential);
  const parallel = ratio(stewardParallel, emmettParallel);
  const pass = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? 'PASS' : 'MISS');
  const twice = (value: number | undefined) => pass(value === undefined ? undefined : value >= TARGETS.batchVsEmmett);
  return [
    // The target, like for like: each mode against the same mode (parallel = the same number of connections).
    { name: 'steward batch / emmett batch, sequential vs sequential', value: sequential, target: `≥ ${TARGETS.batchVsEmmett}×`, result: twice(sequential) },
    { name: 'steward batch / emmett batch, parallel vs parallel', value: parallel, target: `≥ ${TARGETS.batchVsEmmett}×`, result: twice(parallel) },
    // For reference: Steward's sequential batches against Emmett's better mode (its parallel mode is not atomic).
    { name: 'steward batch sequential / emmett batch, best of both modes', value: ratio(stewardSequential, emmettBest) },
    { name: 'steward batch / raw COPY per batch', value: ratio(stewardSequential, rateOf(measurements, 'copy', 'copy-batch')) },
    { name: 'steward batch / raw COPY, one statement', value: ratio(stewardSequential, rateOf(measurements, 'copy', 'copy-one')) },
    {
      name: 'steward single c=1 / emmett single c=1',
      value: ratio(rateOf(measurements, 'steward', 'single-c1'), rateOf(measurements, 'emmett', 'single-c1')),
    },
    {
      name: 'steward single c=N / emmett single c=N',
      value: ratio(rateOf(measurements, 'steward', 'single-cN'), rateOf(measurements, 'emmett', 'single-cN')),
    },
    {
      name: 'steward projection rebuild (replay) ev/s',
      value: replay,
      target: `≥ ${rate(TARGETS.replayEventsPerSecond)} ev/s`,
      result: pass(replay === undefined ? undefined : replay >= TARGETS.replayEventsPerSecond),
    },
  ];
}

export function renderReport(measurements: readonly Measurement[]): string {
  const rows = [
    ['contender', 'metric', 'events', 'seconds', 'ev/s', 'how'],
    ...measurements.map((m) => [
      m.contender,
      m.metric,
      String(m.events),
      m.seconds.toFixed(2),
      rate(eventsPerSecond(m)),
      m.note ?? '',
    ]),
  ];
  const checks = verdicts(measurements).map((v) => [
    v.name,
    v.value === undefined ? 'n/a' : v.name.endsWith('ev/s') ? rate(v.value) : `${v.value.toFixed(2)}×`,
    v.target ?? '',
    v.result ?? '',
  ]);
  return [
    table(rows, new Set([2, 3, 4])),
    '',
    table([['ratio / check', 'value', 'target', 'result'], ...checks], new Set([1])),
  ].join('\n');
}

/** One line of JSON for pasting into notes. */
export function summaryJson(options: BenchOptions, measurements: readonly Measurement[], extra: Record<string, unknown>): string {
  const evs: Record<string, number> = {};
  for (const m of measurements) evs[`${m.contender}.${m.key}`] = Math.round(eventsPerSecond(m));
  const checks: Record<string, unknown> = {};
  for (const v of verdicts(measurements)) {
    if (v.value === undefined) continue;
    checks[v.name] = v.result ? { value: Number(v.value.toFixed(2)), result: v.result } : Number(v.value.toFixed(2));
  }
  return JSON.stringify({
    bench: 'store',
    ...extra,
    events: options.events,
    batch: options.batch,
    streams: options.streams,
    streamsPerBatch: options.streamsPerBatch,
    singleEvents: options.singleEvents,
    concurrency: options.concurrency,
    evs,
    checks,
  });
}
