import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve as resolvePath } from 'node:path';
import { BOOTSTRAP_ENTRY, stewardProcesses } from '@steward/config';
import type { TestEnv } from './test-env';
import { waitFor } from './wait-for';

const ROOT = join(__dirname, '..', '..', '..');
const MIGRATE_ENTRY = 'tools/migrate.ts';

export interface StackOptions {
  /** STEWARD_OWNER_EMAIL for the bootstrap. Default owner@example.com (the bootstrap's default). */
  readonly ownerEmail?: string;
  /** LOG_LEVEL of every child. Default `warn` (their output is kept for failures either way). */
  readonly logLevel?: string;
  /** Extra environment for every child. */
  readonly env?: Readonly<Record<string, string>>;
  /** How long the gateway may take to answer /readyz. Default 90 s (four children compile on start). */
  readonly readyTimeoutMs?: number;
  /** More gateway replicas to run beside the first, each on its own free port (`Stack.gatewayUrls`). Default 0. */
  readonly extraGateways?: number;
  /** Environment of the extra gateways only, over `env` (e.g. a setting to compare against the first). */
  readonly extraGatewayEnv?: Readonly<Record<string, string>>;
  /** Processes of @steward/config's list not to start (a benchmark's run without one of them). Default none. */
  readonly without?: readonly string[];
}

/** What the bootstrap printed with `--json`. */
export interface StackBootstrap {
  readonly url: string;
  readonly created: boolean;
  readonly organizationId: string;
  readonly workspaceId: string;
  readonly ownerUserId: string;
  readonly ownerEmail: string;
  /** Only on the run that issued it. */
  readonly ownerToken?: string;
}

export interface Stack {
  /** The gateway's base URL (`http://127.0.0.1:<free port>`). */
  readonly url: string;
  /** Every gateway replica's base URL, `url` first (more with `extraGateways`). */
  readonly gatewayUrls: readonly string[];
  /** The owner's user token, from the first bootstrap. */
  readonly ownerToken: string;
  readonly organizationId: string;
  readonly workspaceId: string;
  readonly ownerUserId: string;
  /** Environment every child got (DATABASE_URL, NATS_PREFIX, GATEWAY_REDIS_PREFIX, PORT, …). */
  readonly childEnv: Readonly<Record<string, string>>;
  /** Runs the bootstrap again (as `npm start` does on every start) and returns what it answered. */
  bootstrap(): Promise<StackBootstrap>;
  /** What a child printed so far (stdout and stderr), by its name in @steward/config's processes.ts. */
  output(name: string): string;
  /** SIGTERM to every child; resolves with their exits (a clean stop is code 0 for each). */
  stop(): Promise<Record<string, { code: number | null; signal: NodeJS.Signals | null }>>;
}

/** A child process from startChild: what it printed so far (stdout and stderr) and how it exited. */
export interface RunningChild {
  readonly name: string;
  readonly process: ChildProcess;
  output: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a TypeScript entry (relative to the repository root, or absolute) as
 * a real child process, `process.execPath -r @swc-node/register <entry>
 * <args>` in the repository root with `env` as its whole environment.
 */
export function startChild(name: string, entry: string, env: NodeJS.ProcessEnv, args: readonly string[] = []): RunningChild {
  // STEWARD_STACK_NODE_ARGS: extra node flags for every child (e.g. `--cpu-prof --cpu-prof-dir=tmp/prof` to profile a benchmark)
  const nodeArgs = (process.env.STEWARD_STACK_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '-r', '@swc-node/register', resolvePath(ROOT, entry), ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const running: RunningChild = {
    name,
    process: child,
    output: '',
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
  };
  child.stdout?.on('data', (chunk: Buffer) => (running.output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (running.output += chunk.toString()));
  return running;
}

async function runToEnd(name: string, entry: string, args: readonly string[], env: Record<string, string>): Promise<string> {
  const child = startChild(name, entry, env, args);
  const { code, signal } = await child.exited;
  if (code !== 0) throw new Error(`${name} failed (${signal ?? code}):\n${child.output}`);
  return child.output;
}

/**
 * The `npm start` stack against a test environment, as real child processes
 * (`process.execPath -r @swc-node/register <entry>`): migrate, then every
 * process of @steward/config's processes.ts (relay, projections,
 * team-rbac, gateway on a free port), wait for the gateway's /readyz, then the
 * bootstrap. Call `stop()` before `env.dispose()`.
 */
/**
 * The plan catalogue of a test stack (STEWARD_BILLING_PLANS): the default plans with an overdraft limit no test
 * reaches, so that a test's usage load is never answered 402 because the organization ran out of credits.
 * A test of billing passes `env: { STEWARD_BILLING_PLANS: '' }` for the default catalogue.
 */
export const UNLIMITED_BILLING_PLANS = JSON.stringify({
  defaultPlanId: 'standard',
  plans: [
    { id: 'standard', name: 'Standard', rank: 1, monthlyFeeUsd: '49', creditsPerPeriod: '5000', creditsPerUsd: '100', overdraft: { limit: '999999999999999' } },
    { id: 'premium', name: 'Premium', rank: 2, monthlyFeeUsd: '199', creditsPerPeriod: '25000', creditsPerUsd: '100', overdraft: { limit: '999999999999999' } },
    { id: 'enterprise', name: 'Enterprise', rank: 3, monthlyFeeUsd: '999', creditsPerPeriod: '150000', creditsPerUsd: '100', overdraft: { limit: '999999999999999' } },
  ],
});

export async function startStack(env: TestEnv, options: StackOptions = {}): Promise<Stack> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const childEnv: Record<string, string> = {
    ...(Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== undefined)) as Record<string, string>),
    DATABASE_URL: env.databaseUrl,
    NATS_URL: env.natsUrl,
    NATS_PREFIX: env.natsPrefix,
    REDIS_URL: env.redisUrl,
    GATEWAY_REDIS_PREFIX: env.redisPrefix,
    GATEWAY_HOST: '127.0.0.1',
    PORT: String(port),
    GATEWAY_URL: url,
    RELAY_POLL_INTERVAL_MS: '100',
    LOG_LEVEL: options.logLevel ?? 'warn',
    // usage of other contexts' tests (and benchmarks) never runs out of credits; billing's own tests set their catalogue
    STEWARD_BILLING_PLANS: UNLIMITED_BILLING_PLANS,
    ...(options.ownerEmail !== undefined ? { STEWARD_OWNER_EMAIL: options.ownerEmail } : {}),
    ...options.env,
  };
  // Jest's own options (--experimental-vm-modules) are not for the children.
  delete childEnv.NODE_OPTIONS;
  delete childEnv.JEST_WORKER_ID;

  await runToEnd('migrate', MIGRATE_ENTRY, [], childEnv);
  const children = stewardProcesses()
    .filter((spec) => !(options.without ?? []).includes(spec.name))
    .map((spec) =>
    startChild(spec.name, spec.entry, { ...childEnv, ...spec.env, STEWARD_PROCESS: spec.name }),
  );

  const stop = async (): Promise<Record<string, { code: number | null; signal: NodeJS.Signals | null }>> => {
    for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGTERM');
    const exits = await Promise.all(
      children.map(async (child) => {
        const timer = setTimeout(() => child.process.kill('SIGKILL'), 15_000);
        try {
          return [child.name, await child.exited] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return Object.fromEntries(exits);
  };
  const output = (name: string): string => children.find((child) => child.name === name)?.output ?? '';
  const bootstrap = async (): Promise<StackBootstrap> => {
    const printed = await runToEnd('bootstrap', BOOTSTRAP_ENTRY, ['--json', '--url', url], childEnv);
    const line = printed.split('\n').find((text) => text.startsWith('{"url":'));
    if (line === undefined) throw new StackStartError(`the bootstrap printed no result:\n${printed}`);
    return JSON.parse(line) as StackBootstrap;
  };

  try {
    const started = await waitFor(
      'the gateway to answer /readyz',
      async () => {
        const dead = children.find((child) => child.process.exitCode !== null || child.process.signalCode !== null);
        if (dead) return dead;
        const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
        return response.ok ? 'ready' : undefined;
      },
      { timeoutMs: options.readyTimeoutMs ?? 90_000, intervalMs: 250 },
    );
    if (started !== 'ready') throw new StackStartError(`${started.name} exited during start`);
    const gatewayUrls = [url];
    const gatewaySpec = stewardProcesses().find((spec) => spec.name === 'gateway');
    for (let i = 1; i <= (options.extraGateways ?? 0) && gatewaySpec; i++) {
      const extraPort = await freePort();
      const extraUrl = `http://127.0.0.1:${extraPort}`;
      const name = `gateway-${i + 1}`;
      const child = startChild(name, gatewaySpec.entry, { ...childEnv, ...gatewaySpec.env, ...options.extraGatewayEnv, PORT: String(extraPort), GATEWAY_URL: extraUrl, STEWARD_PROCESS: name });
      children.push(child);
      const ready = await waitFor(
        `${name} to answer /readyz`,
        async () => {
          if (child.process.exitCode !== null || child.process.signalCode !== null) return 'dead';
          const response = await fetch(`${extraUrl}/readyz`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
          return response?.ok ? 'ready' : undefined;
        },
        { timeoutMs: options.readyTimeoutMs ?? 90_000, intervalMs: 250 },
      );
      if (ready !== 'ready') throw new StackStartError(`${name} exited during start`);
      gatewayUrls.push(extraUrl);
    }
    const first = await bootstrap();
    if (first.ownerToken === undefined) throw new StackStartError('the first bootstrap of a fresh environment issued no owner token');
    return {
      url,
      gatewayUrls,
      ownerToken: first.ownerToken,
      organizationId: first.organizationId,
      workspaceId: first.workspaceId,
      ownerUserId: first.ownerUserId,
      childEnv,
      bootstrap,
      output,
      stop,
    };
  } catch (error) {
    await stop();
    const outputs = children.map((child) => `--- ${child.name}\n${child.output.slice(-4000)}`).join('\n');
    throw new StackStartError(`the stack did not start: ${error instanceof Error ? error.message : String(error)}\n${outputs}`);
  }
}

export class StackStartError extends Error {
  readonly code = 'STACK_START_FAILED';

  constructor(message: string) {
    super(message);
    this.name = 'StackStartError';
  }
}
