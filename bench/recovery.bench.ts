/**
 * `npm run bench:recovery`: how long Steward takes to recover from a SIGKILL, measured by the fault
 * suites themselves (tests/scale): the replica suite (two of every service behind a round-robin, one
 * replica of each killed, restarted, then the other) and the NATS cluster suite (a follower node, then
 * the ingest stream's leader, then two of three nodes). Each suite runs its kills BENCH_ROUNDS times
 * (default 3; STEWARD_FAULTS_ROUNDS for the suites) under load, and must pass: a figure from a run that
 * lost or doubled something is worth nothing.
 *
 * Measures, from the kill: the first write sent after it that is accepted (usage batch, command), a
 * standby leading what the killed projections replica led, a new ingest stream leader, the chargeback
 * showing every call accepted before the kill; from a restart: the node's replicas current again. The
 * summary gives, per kind of kill and measure, the count, min, median and max.
 *
 * Options (env or --flag=): BENCH_ROUNDS (3), BENCH_SUITES (`replicas,nats-cluster`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const SUITES: Record<string, string> = {
  replicas: 'tests/scale/replicas-faults.e2e.spec.ts',
  'nats-cluster': 'tests/scale/nats-cluster.e2e.spec.ts',
};

function option(name: string, fallback: string): string {
  return process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1] ?? process.env[`BENCH_${name.toUpperCase()}`] ?? fallback;
}

interface Figure {
  readonly suite: string;
  readonly round: string;
  readonly kind: string;
  readonly killed: string;
  readonly measure: string;
  readonly ms: number;
}

function median(sorted: readonly number[]): number {
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : Math.round((sorted[middle - 1]! + sorted[middle]!) / 2);
}

async function main(): Promise<void> {
  const rounds = Number(option('rounds', '3'));
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`rounds must be a positive whole number, got ${rounds}`);
  const suites = option('suites', Object.keys(SUITES).join(','))
    .split(',')
    .map((suite) => suite.trim());
  for (const suite of suites) if (!SUITES[suite]) throw new Error(`unknown suite ${suite}: ${Object.keys(SUITES).join(', ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'steward-recovery-'));
  const out = join(dir, 'figures.jsonl');
  try {
    process.stderr.write(`running ${suites.join(', ')} with ${rounds} round(s) of kills each…\n`);
    const env = { ...process.env, STEWARD_FAULTS_ROUNDS: String(rounds), STEWARD_RECOVERY_OUT: out, JEST_WORKERS: '1' };
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['-r', '@swc-node/register', 'tools/test.ts', '--no-checks', '--tiers', 'e2e', ...suites.map((suite) => SUITES[suite]!)], {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.once('exit', (exitCode) => resolve(exitCode));
    });
    let figures: Figure[] = [];
    try {
      figures = readFileSync(out, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Figure);
    } catch {
      figures = [];
    }
    const groups = new Map<string, { suite: string; kind: string; measure: string; values: number[] }>();
    for (const figure of figures) {
      const key = `${figure.suite}\n${figure.kind}\n${figure.measure}`;
      const group = groups.get(key) ?? { suite: figure.suite, kind: figure.kind, measure: figure.measure, values: [] };
      group.values.push(figure.ms);
      groups.set(key, group);
    }
    const rows = [...groups.values()].map((group) => {
      const sorted = [...group.values].sort((a, b) => a - b);
      return [group.suite, group.kind, group.measure, String(sorted.length), `${sorted[0]}`, `${median(sorted)}`, `${sorted[sorted.length - 1]}`];
    });
    const header = ['suite', 'killed', 'measure', 'n', 'min ms', 'median ms', 'max ms'];
    const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column]!.length)));
    console.log(`\nbench:recovery — time to recover after SIGKILL (${rounds} round(s) per suite; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
    for (const row of [header, ...rows]) console.log(row.map((cell, column) => (column >= 3 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  '));
    console.log(JSON.stringify({ bench: 'recovery', at: new Date().toISOString(), rounds, figures }));
    if (code !== 0) {
      console.error(`the fault suites failed (exit ${code}): the figures above are not to be trusted`);
      process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
