/**
 * Runs one contender in a process of its own (started by bench/store.bench.ts):
 * Emmett sets process-wide pg type parsers, and each contender deserves a heap
 * and event loop that the others did not warm or litter.
 * Input: the bench options as BENCH_* variables, plus BENCH_CONTENDER,
 * BENCH_DATABASE_URL and BENCH_RESULT_FILE. Output: JSON measurements in the file.
 */
import { writeFileSync } from 'node:fs';
import { parseBenchOptions, type BenchOptions, type ContenderName } from './bench-options';
import { runEmmett } from './emmett-store.contender';
import { benchData, type BenchData, type ContenderOutcome, type MeasurementSink } from './measurement';
import { runRawCopy } from './raw-copy.contender';
import { runSteward } from './steward-store.contender';

type Runner = (options: BenchOptions, data: BenchData, url: string, results: MeasurementSink) => Promise<void>;

const RUNNERS: Record<ContenderName, Runner> = {
  steward: runSteward,
  emmett: runEmmett,
  copy: runRawCopy,
};

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (this file is started by bench/store.bench.ts)`);
  return value;
}

async function main(): Promise<void> {
  const contender = required('BENCH_CONTENDER') as ContenderName;
  const runner = RUNNERS[contender];
  if (!runner) throw new Error(`unknown contender ${contender}`);
  const options = parseBenchOptions([]);
  const data = benchData(options);
  // Written after every phase: when a later phase fails, the parent still reports the earlier ones.
  const sink: MeasurementSink = {
    push(measurement) {
      outcome.measurements.push(measurement);
      writeOutcome();
    },
  };
  writeOutcome();
  await runner(options, data, required('BENCH_DATABASE_URL'), sink);
}

const outcome: ContenderOutcome = { measurements: [] };

function writeOutcome(): void {
  writeFileSync(required('BENCH_RESULT_FILE'), JSON.stringify(outcome));
}

main().then(
  () => undefined,
  (error: unknown) => {
    outcome.error = error instanceof Error ? error.message : String(error);
    console.error(`  FAILED: ${outcome.error}`);
    writeOutcome();
    // Exit now: a timed-out phase may still have a query running; the parent drops the database.
    process.exit(1);
  },
);
