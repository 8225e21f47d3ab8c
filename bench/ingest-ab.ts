/**
 * What bench:ingest-billing and bench:ingest-budgets share: bench:ingest's sustained run and steady-rate
 * freshness on a fresh stack WITHOUT one process (A) and WITH it (B), in one invocation, BENCH_ROUNDS=2 for
 * ABBA; the means, the ratio of the end-to-end rates and the stack's CPU per event (which the load of
 * others on a shared machine moves much less than the rates).
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { Stack } from '@steward/testing';
import { BATCH, CONCURRENCY, EVENTS, STEADY_RATE, STEADY_SECONDS, fmt, freshness, startTarget, storeProbe, sustained, visibleProbe, type Target } from './ingest.bench';

export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? '1');

export interface AbResult {
  readonly visiblePerSecond: number | undefined;
  readonly acceptedPerSecond: number;
  readonly freshP50: number | undefined;
  readonly freshP99: number | undefined;
  /** Per extra probe (name): accepted → covered, p50 / p99 ms and the batches measured. */
  readonly extra: Readonly<Record<string, { p50: number; p99: number; measured: number }>>;
  readonly cpu: Array<[string, number]>;
}

export type AbTarget = Target & { organizationId?: string };

export interface AbRunOptions {
  /** Processes not started in this run. */
  readonly without?: readonly string[];
  /** Once the stack is up, with the owner's token. */
  readonly prepare?: (stack: Stack) => Promise<void>;
  /** Counts of usage events other consumers have taken in (name → read): freshness times batches against each too. */
  readonly probes?: (target: AbTarget) => Record<string, () => Promise<number>>;
  /** Awaited after the sustained run is visible and before its CPU meter stops (a consumer catching up). */
  readonly settle?: (target: AbTarget) => Promise<void>;
  /** After the runs, before the stack stops. */
  readonly inspect?: (target: AbTarget) => Promise<void>;
}

/** One fresh stack: the sustained run, then the steady run once every probe has caught up with the store. */
export async function abRun(label: string, options: AbRunOptions): Promise<AbResult> {
  process.stderr.write(`\n== ${label}: starting the stack…\n`);
  const target = await startTarget({ ...(options.without ? { without: options.without } : {}), ...(options.prepare ? { prepare: options.prepare } : {}) });
  try {
    const probe = await visibleProbe(target.pool, target.workspaceId);
    const store = storeProbe(target.pool, target.workspaceId);
    process.stderr.write(`sustained: ${EVENTS} events in batches of ${BATCH}, ${CONCURRENCY} in flight…\n`);
    const settle = options.settle;
    const result = await sustained(target, probe.read, await probe.read(), { read: store, base: await store() }, settle ? () => settle(target) : undefined);
    process.stderr.write(`  visible ${fmt(result.visiblePerSecond)} ev/s\n`);
    const probes = Object.entries(options.probes?.(target) ?? {});
    const deadline = Date.now() + 300_000;
    for (const [, read] of probes) {
      while ((await read()) < (await store()) - 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    process.stderr.write(`freshness: ${STEADY_RATE} ev/s for ${STEADY_SECONDS} s…\n`);
    const extra: Record<string, { read: () => Promise<number>; base: number }> = {};
    for (const [name, read] of probes) extra[name] = { read, base: await read() };
    const fresh = await freshness(target, probe.read, await probe.read(), { read: store, base: await store() }, extra);
    await options.inspect?.(target);
    return {
      visiblePerSecond: result.visiblePerSecond,
      acceptedPerSecond: result.acceptedPerSecond,
      freshP50: fresh.p50,
      freshP99: fresh.p99,
      extra: fresh.extra,
      cpu: result.cpu,
    };
  } finally {
    await target.stop();
  }
}

/** µs of CPU per event of the whole stack during the sustained run (the HTTP client and shared NATS left out). */
export function stackCpuPerEvent(result: AbResult): number {
  const seconds = result.cpu.filter(([name]) => !name.startsWith('bench') && !name.startsWith('nats') && !name.endsWith('(HTTP client)')).reduce((total, [, value]) => total + value, 0);
  return (seconds * 1e6) / EVENTS;
}

export function mean(values: readonly number[]): number | undefined {
  const known = values.filter((value) => Number.isFinite(value));
  return known.length === 0 ? undefined : known.reduce((total, value) => total + value, 0) / known.length;
}

const worst = (values: ReadonlyArray<number | undefined>): number | undefined => {
  const known = values.filter((value): value is number => value !== undefined && Number.isFinite(value));
  return known.length === 0 ? undefined : Math.max(...known);
};

/** Several runs of one side: mean rates, worst latencies, mean CPU per process. */
export function combined(results: readonly AbResult[]): AbResult {
  const cpu = new Map<string, number>();
  for (const result of results) for (const [name, seconds] of result.cpu) cpu.set(name, (cpu.get(name) ?? 0) + seconds / results.length);
  const names = [...new Set(results.flatMap((result) => Object.keys(result.extra)))];
  return {
    visiblePerSecond: mean(results.map((result) => result.visiblePerSecond ?? Number.NaN)),
    acceptedPerSecond: mean(results.map((result) => result.acceptedPerSecond)) ?? Number.NaN,
    freshP50: worst(results.map((result) => result.freshP50)),
    freshP99: worst(results.map((result) => result.freshP99)),
    extra: Object.fromEntries(
      names.map((name) => [
        name,
        {
          p50: worst(results.map((result) => result.extra[name]?.p50)) ?? Number.NaN,
          p99: worst(results.map((result) => result.extra[name]?.p99)) ?? Number.NaN,
          measured: results.reduce((total, result) => total + (result.extra[name]?.measured ?? 0), 0),
        },
      ]),
    ),
    cpu: [...cpu].sort((a, b) => b[1] - a[1]),
  };
}

export interface AbSummary {
  readonly without: AbResult;
  readonly with: AbResult;
  readonly ratio: number | undefined;
  readonly cpuWithout: number | undefined;
  readonly cpuWith: number | undefined;
}

/**
 * The order of the runs: without, with (BENCH_ROUNDS 1); without, with, with, without (2: ABBA); and as many
 * ABBA as BENCH_ROUNDS / 2 (4: ABBA ABBA, …): on a machine whose speed drifts, more rounds, a steadier mean.
 */
export function runOrder(rounds: number): boolean[] {
  if (rounds < 2) return [false, true];
  return Array.from({ length: Math.floor(rounds / 2) }, () => [false, true, true, false]).flat();
}

/**
 * Before each run: PostgreSQL writes out what the last run left in its buffers (a checkpoint), so that no
 * run pays for its predecessor's writes.
 */
async function quietPostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
  try {
    await client.connect();
    await client.query('CHECKPOINT');
  } catch (error) {
    process.stderr.write(`  (no checkpoint before the run: ${(error as Error).message})\n`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs in `runOrder(BENCH_ROUNDS)`; prints each run's rate and CPU as it ends. */
export async function abba(subject: string, run: (withIt: boolean) => Promise<AbResult>): Promise<{ runs: Array<{ withIt: boolean; result: AbResult }>; summary: AbSummary }> {
  const runs: Array<{ withIt: boolean; result: AbResult }> = [];
  for (const withIt of runOrder(ROUNDS)) {
    await quietPostgres();
    const result = await run(withIt);
    runs.push({ withIt, result });
    process.stderr.write(`  ${withIt ? 'with' : 'without'} ${subject}: ${fmt(result.visiblePerSecond)} ev/s end to end, stack CPU ${fmt(stackCpuPerEvent(result), 1)} µs/event\n`);
  }
  const side = (withIt: boolean) => runs.filter((entry) => entry.withIt === withIt);
  const without = combined(side(false).map((entry) => entry.result));
  const withIt = combined(side(true).map((entry) => entry.result));
  return {
    runs,
    summary: {
      without,
      with: withIt,
      ratio: without.visiblePerSecond && withIt.visiblePerSecond ? withIt.visiblePerSecond / without.visiblePerSecond : undefined,
      cpuWithout: mean(side(false).map((entry) => stackCpuPerEvent(entry.result))),
      cpuWith: mean(side(true).map((entry) => stackCpuPerEvent(entry.result))),
    },
  };
}

/** The lines both benchmarks print: rates, the runs, the ratio against 0.90, CPU per event. */
export function printAb(subject: string, runs: ReadonlyArray<{ withIt: boolean; result: AbResult }>, summary: AbSummary): void {
  const pad = (text: string) => text.padEnd(24);
  console.log(`events                  ${EVENTS} in batches of ${BATCH}, ${CONCURRENCY} requests in flight; steady ${STEADY_RATE} ev/s for ${STEADY_SECONDS} s`);
  console.log(`${pad(`end to end, no ${subject}`)}${fmt(summary.without.visiblePerSecond)} ev/s (accepted ${fmt(summary.without.acceptedPerSecond)} ev/s), visible p99 ${fmt(summary.without.freshP99)} ms`);
  console.log(`${pad(`end to end, ${subject}`)}${fmt(summary.with.visiblePerSecond)} ev/s (accepted ${fmt(summary.with.acceptedPerSecond)} ev/s), visible p99 ${fmt(summary.with.freshP99)} ms`);
  console.log(`runs                    ${runs.map((entry) => `${entry.withIt ? 'with' : 'without'} ${fmt(entry.result.visiblePerSecond)}`).join(', ')} ev/s`);
  console.log(`ratio with / without    ${summary.ratio === undefined ? 'n/a' : summary.ratio.toFixed(3)}   target ≥ 0.90   ${summary.ratio === undefined ? 'n/a' : summary.ratio >= 0.9 ? 'PASS' : 'MISS'}`);
  console.log(
    `stack CPU per event     without ${fmt(summary.cpuWithout, 1)} µs, with ${fmt(summary.cpuWith, 1)} µs (ratio ${summary.cpuWithout && summary.cpuWith ? (summary.cpuWithout / summary.cpuWith).toFixed(3) : 'n/a'}: the rate a CPU-bound stack keeps)`,
  );
}

/** Each process's CPU seconds and µs per event, with the load average now. */
export function printCpu(label: string, result: AbResult): void {
  console.log(`CPU ${label} (s, µs/event), load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}:`);
  for (const [name, seconds] of result.cpu) console.log(`  ${name.padEnd(34)} ${seconds.toFixed(2).padStart(6)} s ${((seconds * 1e6) / EVENTS).toFixed(1).padStart(7)}`);
}

export const rounded = (value: number | undefined, digits = 0): number | null => (value === undefined || !Number.isFinite(value) ? null : Number(value.toFixed(digits)));
