/**
 * `npm run bench:store`: Steward's PostgreSQL event store against Emmett's and
 * against a raw COPY, on the local PostgreSQL. See bench/README.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { optionsToEnv, parseBenchOptions, type BenchOptions, type ContenderName } from './store/bench-options';
import { createDatabase, dropDatabase, serverSummary, serverUrl } from './store/bench-database';
import { renderReport, summaryJson } from './store/bench-report';
import { benchData, type ContenderOutcome, type Measurement } from './store/measurement';
import { averagePayloadBytes } from './store/usage-events';

const ROOT = path.resolve(__dirname, '..');
const CHILD = path.join(__dirname, 'store', 'run-contender.child.ts');
let interrupted = false;
let running: ChildProcess | undefined;

function runChild(contender: ContenderName, options: BenchOptions, databaseUrl: string, resultFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', CHILD], {
      cwd: ROOT,
      stdio: 'inherit',
      env: {
        ...process.env,
        ...optionsToEnv(options),
        BENCH_CONTENDER: contender,
        BENCH_DATABASE_URL: databaseUrl,
        BENCH_RESULT_FILE: resultFile,
      },
    });
    running = child;
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${contender} failed (exit ${code ?? signal})`)),
    );
  });
}

function readOutcome(file: string): ContenderOutcome | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ContenderOutcome) : undefined;
}

async function main(): Promise<void> {
  // Ctrl-C stops the running contender (same process group); stay alive to drop its database.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      interrupted = true;
      console.error(`\n${signal}: cleaning up`);
      running?.kill(signal);
    });
  }
  const options = parseBenchOptions();
  const stamp = `steward_bench_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`;
  const sample = benchData({ ...options, events: Math.min(options.events, 1000) }).main;
  const payload = averagePayloadBytes(sample);
  const server = await serverSummary();
  const redactedUrl = new URL(serverUrl);
  redactedUrl.password = '';

  console.log('Steward event store bench');
  console.log(`  server   ${redactedUrl.host}  ${server}`);
  console.log(`  node     ${process.version}  databases ${stamp}_<contender> (dropped at the end)`);
  console.log(
    `  data     ${options.events} UsageRecorded events, data ≈ ${payload.data} B + metadata ≈ ${payload.metadata} B JSON, ` +
      `${options.streams} streams, batches of ${options.batch} over ${options.streamsPerBatch} streams`,
  );
  console.log(
    `  singles  ${options.singleEvents} events at c=1 and ${options.singleEvents} at c=${options.concurrency}; ` +
      `read-all pages ${options.page}, replay pages ${options.replayPage}; warm-up before timing`,
  );

  const measurements: Measurement[] = [];
  const failures: string[] = [];
  const started = Date.now();
  for (const contender of options.contenders) {
    if (interrupted) break;
    const database = `${stamp}_${contender}`;
    const resultFile = path.join(tmpdir(), `${database}.json`);
    console.log(`\n${contender}: database ${database}`);
    const databaseUrl = await createDatabase(database);
    try {
      await runChild(contender, options, databaseUrl, resultFile);
    } catch (error) {
      const outcome = readOutcome(resultFile);
      failures.push(`${contender}: ${outcome?.error ?? (error instanceof Error ? error.message : String(error))}`);
    } finally {
      measurements.push(...(readOutcome(resultFile)?.measurements ?? []));
      rmSync(resultFile, { force: true });
      await dropDatabase(database);
    }
  }

  console.log(`\nResults (${((Date.now() - started) / 1000).toFixed(0)} s in all)\n`);
  console.log(renderReport(measurements));
  if (failures.length > 0) {
    console.log(`\nINCOMPLETE: ${failures.join('; ')} (their later phases are missing above)`);
    process.exitCode = 1;
  }
  console.log('');
  console.log(
    summaryJson(options, measurements, {
      at: new Date().toISOString(),
      node: process.version,
      server,
      ...(failures.length > 0 ? { failures } : {}),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
