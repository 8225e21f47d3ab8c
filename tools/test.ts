/**
 * `npm test`: type-check once, lint, then run the jest tiers against the real
 * local services. The last line is the suite's total, `N passed, N failed`.
 *
 *   npm test                      all tiers, with typecheck and lint
 *   npm test -- --tiers unit,int  only some tiers
 *   npm test -- --no-checks       skip typecheck and lint
 *   npm test -- <jest args>       anything else goes to jest
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureConsoleBuilt } from './console-build';

const root = join(__dirname, '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

interface Options {
  tiers: string[];
  checks: boolean;
  jestArgs: string[];
}

function parseArgs(argv: string[]): Options {
  const options: Options = { tiers: ['unit', 'int', 'e2e', 'ui'], checks: true, jestArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--tiers') options.tiers = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--no-checks') options.checks = false;
    else options.jestArgs.push(arg);
  }
  return options;
}

function run(label: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  console.log(`\n── ${label}: ${[command.replace(root + '/', ''), ...args].join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  return result.status === 0;
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  let passed = 0;
  let failed = 0;
  let skipped = 0;

  if (options.checks) {
    for (const [label, command, args] of [
      ['typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']],
      ['typecheck console', bin('tsc'), ['-p', 'apps/console/tsconfig.json', '--noEmit']],
      ['lint', process.execPath, ['-r', '@swc-node/register', 'tools/lint/lint.ts']],
    ] as const) {
      if (run(label, command, [...args])) passed++;
      else failed++;
    }
  }

  // the browser tests load the console the gateway serves: build it once here, not in each test file at once
  if (options.tiers.includes('ui')) {
    try {
      ensureConsoleBuilt((line) => console.log(`\n── ${line}`));
    } catch (error) {
      console.error(error instanceof Error ? error.message : error);
      failed++;
    }
  }

  const resultsDir = join(root, 'tmp');
  mkdirSync(resultsDir, { recursive: true });
  const resultsFile = join(resultsDir, `jest-results-${process.pid}.json`);
  const workers = process.env.JEST_WORKERS ?? '2';
  // NestJS 12 ships ES modules; jest loads them through require(esm), which
  // needs vm modules (Node 24.9+ with --experimental-vm-modules).
  const jestEnv = {
    ...process.env,
    NODE_OPTIONS: [process.env.NODE_OPTIONS, '--experimental-vm-modules', '--disable-warning=ExperimentalWarning']
      .filter(Boolean)
      .join(' '),
  };
  const jestOk = run(
    'jest',
    bin('jest'),
    [
      '-c',
      'jest.config.cjs',
      '--ci',
      `--maxWorkers=${workers}`,
      '--json',
      `--outputFile=${resultsFile}`,
      ...options.jestArgs,
      ...options.tiers.map((tier) => `--selectProjects=${tier}`),
    ],
    jestEnv,
  );
  try {
    const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as {
      numPassedTests: number;
      numFailedTests: number;
      numPendingTests: number;
      numTodoTests: number;
      numRuntimeErrorTestSuites: number;
    };
    passed += results.numPassedTests;
    failed += results.numFailedTests + results.numRuntimeErrorTestSuites;
    skipped += results.numPendingTests + results.numTodoTests;
    if (!jestOk && results.numFailedTests + results.numRuntimeErrorTestSuites === 0) failed++;
    rmSync(resultsFile, { force: true });
  } catch {
    failed++;
  }
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main();
