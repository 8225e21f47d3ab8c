/**
 * `npm start`: brings up the local services if they are down, migrates, then
 * runs every Steward process as its own child and supervises them: a child
 * that dies is restarted with backoff; Ctrl-C stops them all cleanly.
 * `npm start -- --demo` then loads the demo organization (tools/demo.ts) as the bootstrap's owner.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ensureConsoleBuilt } from './console-build';
import { migrateAll } from './migrate';
import { BOOTSTRAP_ENTRY, loadConfig, stewardProcesses, type StewardProcess } from '@steward/config';

const root = join(__dirname, '..');
const STOP_GRACE_MS = 10_000;
const READY_TIMEOUT_MS = 120_000;

interface Supervised {
  readonly spec: StewardProcess;
  child?: ChildProcess;
  restarts: number;
  stopping: boolean;
}

/** A connection URL without its password, for printing. */
function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

function log(message: string): void {
  process.stdout.write(`[start] ${message}\n`);
}

function prefixLines(name: string, stream: NodeJS.ReadableStream, out: NodeJS.WritableStream): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) out.write(`[${name}] ${line}\n`);
  });
  stream.on('end', () => {
    if (pending) out.write(`[${name}] ${pending}\n`);
  });
}

function launch(entry: Supervised): void {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(root, entry.spec.entry)], {
    cwd: root,
    env: { ...process.env, ...entry.spec.env, STEWARD_PROCESS: entry.spec.name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  entry.child = child;
  prefixLines(entry.spec.name, child.stdout!, process.stdout);
  prefixLines(entry.spec.name, child.stderr!, process.stderr);
  const startedAt = Date.now();
  child.on('exit', (code, signal) => {
    entry.child = undefined;
    if (entry.stopping) return;
    // A process that ran for a minute gets a fresh restart budget.
    if (Date.now() - startedAt > 60_000) entry.restarts = 0;
    const delay = Math.min(30_000, 500 * 2 ** entry.restarts++);
    log(`${entry.spec.name} exited (${signal ?? code}); restarting in ${delay} ms`);
    setTimeout(() => {
      if (!entry.stopping) launch(entry);
    }, delay).unref();
  });
}

async function stopAll(children: Supervised[]): Promise<void> {
  for (const entry of children) {
    entry.stopping = true;
    entry.child?.kill('SIGTERM');
  }
  const deadline = Date.now() + STOP_GRACE_MS;
  while (children.some((entry) => entry.child) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const entry of children) {
    if (entry.child) {
      log(`${entry.spec.name} did not stop in ${STOP_GRACE_MS} ms; killing it`);
      entry.child.kill('SIGKILL');
    }
  }
}

/** The gateway's base URL from PORT / GATEWAY_HOST (a wildcard host is reached on the loopback). */
function gatewayUrl(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.GATEWAY_HOST ?? '127.0.0.1';
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${reachable}:${env.PORT ?? 8080}`;
}

async function waitUntilReady(url: string, isStopping: () => boolean): Promise<boolean> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline && !isStopping()) {
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

/** Runs the bootstrap as a child; resolves with what it printed, or undefined when it failed. */
function runBootstrap(url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', join(root, BOOTSTRAP_ENTRY), '--url', url], {
      cwd: root,
      env: { ...process.env, STEWARD_PROCESS: 'bootstrap' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    prefixLines('bootstrap', child.stderr, process.stderr);
    child.on('exit', (code) => resolve(code === 0 ? output : undefined));
  });
}

/** Runs a TypeScript entry of the repository to its end; resolves with its exit code and what it printed on stdout. */
function runEntry(entry: string, args: readonly string[], env: NodeJS.ProcessEnv, echo: boolean): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', join(root, entry), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (echo) process.stdout.write(chunk);
    });
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/**
 * `--demo`: the demo loader, as the owner the bootstrap printed. On a later start the bootstrap shows no token:
 * the loader takes the one it kept in its state file, else the owner gets a new one (the bootstrap's
 * `tokens issue`, what `npm run user-token` runs).
 */
async function runDemo(url: string, bootstrapOutput: string, isStopping: () => boolean): Promise<void> {
  const token = /^Owner token\s+(stu_\S+)/m.exec(bootstrapOutput)?.[1];
  const email = /^Owner\s+(\S+@\S+)/m.exec(bootstrapOutput)?.[1];
  const env = { ...process.env, STEWARD_PROCESS: 'demo' };
  let run = await runEntry('tools/demo.ts', ['--url', url], token ? { ...env, STEWARD_TOKEN: token } : env, true);
  if (run.code === 2 && email && !isStopping()) {
    const issued = await runEntry(BOOTSTRAP_ENTRY, ['tokens', 'issue', '--email', email], { ...process.env, STEWARD_PROCESS: 'bootstrap' }, false);
    const fresh = /stu_\S+/.exec(issued.output)?.[0];
    if (fresh) run = await runEntry('tools/demo.ts', ['--url', url], { ...env, STEWARD_TOKEN: fresh }, true);
  }
  if (run.code !== 0 && !isStopping()) log('the demo data did not load (see above); the processes keep running');
}

function printBanner(lines: readonly string[]): void {
  const rule = '='.repeat(78);
  process.stdout.write(`\n${rule}\n${lines.join('\n')}\n${rule}\n\n`);
}

async function main(): Promise<void> {
  if (!process.env.DATABASE_URL && !process.env.CI) {
    // Same-machine services: start any that is down (idempotent).
    const result = spawnSync('bash', [join(root, 'deploy/local/services.sh'), 'up'], { stdio: 'inherit' });
    if (result.status !== 0) log('some local services did not come up; see above (or set DATABASE_URL / NATS_URL / REDIS_URL)');
  }
  // the gateway serves the web console from its build: made now when missing or older than its sources
  try {
    ensureConsoleBuilt(log);
  } catch (error) {
    log(`${error instanceof Error ? error.message : String(error)}: the gateway answers / with 503 until \`npm run console:build\` succeeds`);
  }
  const config = loadConfig();
  log(`migrating ${redact(config.databaseUrl)}`);
  await migrateAll(config);

  const children: Supervised[] = stewardProcesses().map((spec) => ({ spec, restarts: 0, stopping: false }));
  for (const entry of children) launch(entry);
  log(`running ${children.map((entry) => entry.spec.name).join(', ')} — Ctrl-C stops everything`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    void stopAll(children).then(() => {
      log('stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  const url = gatewayUrl();
  if (!(await waitUntilReady(url, () => stopping))) {
    if (!stopping) log(`the gateway did not answer ${url}/readyz within ${READY_TIMEOUT_MS / 1000} s; no bootstrap (see its log above)`);
    return;
  }
  const printed = await runBootstrap(url);
  if (stopping) return;
  if (printed === undefined) log('bootstrap failed (see above); the processes keep running');
  else {
    printBanner(printed.trimEnd().split('\n'));
    if (process.argv.includes('--demo') && !stopping) await runDemo(url, printed, () => stopping);
  }
}

main().catch((error: unknown) => {
  console.error('[start] failed:', error);
  process.exit(1);
});
