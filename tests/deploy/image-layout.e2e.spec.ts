/**
 * What the container image runs, without Docker: `npm run build` on a copy of the Docker build
 * context, then production dependencies only (tests/deploy/production-layout.ts), then every process
 * started from that directory with plain
 * `node dist/tools/entrypoint.js <process>` — the Dockerfile's ENTRYPOINT — against the real
 * PostgreSQL, NATS and Redis, in production mode (NODE_ENV=production, a master key from the
 * environment).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { stewardProcesses } from '@steward/config';
import { createTestEnv, freePort, waitFor, type TestEnv } from '@steward/testing';
import { buildFromDockerContext, createProductionLayout, removeBuild, type ProductionLayout } from './production-layout';

const ROOT = join(__dirname, '..', '..');
const STOP_GRACE_MS = 20_000;
/**
 * Billing with Stripe configured: it loads the stripe library (a production dependency, loaded on
 * first use) before it counts as ready. Nothing calls Stripe while the processes start.
 */
const STRIPE_CONFIGURED = {
  STRIPE_SECRET_KEY: 'sk_test_image_layout',
  STRIPE_WEBHOOK_SECRET: 'whsec_image_layout',
  STRIPE_API_BASE_URL: 'http://127.0.0.1:9',
} as const;

interface Running {
  readonly name: string;
  readonly child: ChildProcess;
  readonly readyUrl: string;
  readonly env: NodeJS.ProcessEnv;
  output: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function run(layout: ProductionLayout, args: readonly string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exited: Running['exited'] } {
  const child = spawn(process.execPath, ['dist/tools/entrypoint.js', ...args], { cwd: layout.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => output, exited };
}

async function runToEnd(layout: ProductionLayout, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  const started = run(layout, args, env);
  const { code, signal } = await started.exited;
  if (code !== 0) throw new Error(`entrypoint ${args.join(' ')} failed (${signal ?? code}):\n${started.output()}`);
  return started.output();
}

describe('the image layout: built JS and production dependencies, every process under plain node', () => {
  let env: TestEnv;
  let layout: ProductionLayout;
  let built: string | undefined;
  let baseEnv: NodeJS.ProcessEnv;
  let gatewayUrl: string;
  const running: Running[] = [];

  beforeAll(async () => {
    built = buildFromDockerContext(ROOT);
    layout = createProductionLayout(ROOT, built);
    env = await createTestEnv();
    const port = await freePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    // The image's environment, and nothing inherited from jest (no NODE_OPTIONS, no NODE_PATH).
    baseEnv = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      STEWARD_MASTER_KEY: randomBytes(32).toString('base64'),
      DATABASE_URL: env.databaseUrl,
      NATS_URL: env.natsUrl,
      NATS_PREFIX: env.natsPrefix,
      REDIS_URL: env.redisUrl,
      GATEWAY_REDIS_PREFIX: env.redisPrefix,
      GATEWAY_HOST: '127.0.0.1',
      PORT: String(port),
      STEWARD_OPS_HOST: '127.0.0.1',
      RELAY_POLL_INTERVAL_MS: '100',
      LOG_LEVEL: 'warn',
    };
    await runToEnd(layout, ['migrate'], baseEnv);
    for (const spec of stewardProcesses()) {
      // Every container of the image has STEWARD_OPS_PORT; the gateway serves its probes on PORT and leaves it free.
      const opsPort = await freePort();
      const processEnv: NodeJS.ProcessEnv = { ...baseEnv, STEWARD_OPS_PORT: String(opsPort), ...(spec.name === 'billing' ? STRIPE_CONFIGURED : {}) };
      const started = run(layout, [spec.name], processEnv);
      const entry: Running = {
        name: spec.name,
        child: started.child,
        readyUrl: spec.name === 'gateway' ? `${gatewayUrl}/readyz` : `http://127.0.0.1:${opsPort}/readyz`,
        env: processEnv,
        get output() {
          return started.output();
        },
        exited: started.exited,
      };
      running.push(entry);
    }
  }, 240_000);

  afterAll(async () => {
    for (const entry of running) if (entry.child.exitCode === null && entry.child.signalCode === null) entry.child.kill('SIGKILL');
    await env?.dispose();
    if (layout) rmSync(layout.root, { recursive: true, force: true });
    if (built) removeBuild(built);
  });

  it('holds production packages only: a dev dependency does not resolve from it', () => {
    expect(layout.packages).toEqual(expect.arrayContaining(['node_modules/pg', 'node_modules/@nestjs/core', 'node_modules/@nats-io/jetstream']));
    // Resolved by a plain node in the layout, as the image's processes resolve (jest's resolver is not node's).
    const probe = (names: readonly string[]): Record<string, boolean> => {
      const script = `const found = {}; for (const name of ${JSON.stringify(names)}) { try { require.resolve(name); found[name] = true; } catch { found[name] = false; } } process.stdout.write(JSON.stringify(found));`;
      const result = spawnSync(process.execPath, ['-e', script], { cwd: layout.root, env: { PATH: process.env.PATH }, encoding: 'utf8' });
      return JSON.parse(result.stdout) as Record<string, boolean>;
    };
    expect(probe(['pg', 'kysely', 'ioredis', 'bullmq', 'stripe', 'pdfkit', 'swagger-ui-dist/package.json'])).toEqual({
      pg: true,
      kysely: true,
      ioredis: true,
      bullmq: true,
      stripe: true,
      pdfkit: true,
      'swagger-ui-dist/package.json': true,
    });
    expect(probe(['jest', '@swc-node/register', '@swc/core', 'typescript', 'nx', 'cloudevents'])).toEqual({
      jest: false,
      '@swc-node/register': false,
      '@swc/core': false,
      typescript: false,
      nx: false,
      cloudevents: false,
    });
  });

  it('brings every process to ready, the image HEALTHCHECK agreeing', async () => {
    for (const entry of running) {
      const state = await waitFor(
        `${entry.name} to answer ${entry.readyUrl} with 200`,
        async () => {
          if (entry.child.exitCode !== null || entry.child.signalCode !== null) return 'exited';
          const response = await fetch(entry.readyUrl, { signal: AbortSignal.timeout(2_000) });
          return response.status === 200 ? 'ready' : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 200 },
      ).catch((error: Error) => `${error.message}`);
      if (state !== 'ready') throw new Error(`${entry.name}: ${state}\n${entry.output.slice(-4000)}`);
      const check = spawnSync(process.execPath, ['dist/tools/healthcheck.js'], { cwd: layout.root, env: entry.env, encoding: 'utf8' });
      expect({ process: entry.name, healthcheck: check.status }).toEqual({ process: entry.name, healthcheck: 0 });
    }
    const nothing = { ...baseEnv, PORT: String(await freePort()), STEWARD_OPS_PORT: String(await freePort()) };
    expect(spawnSync(process.execPath, ['dist/tools/healthcheck.js'], { cwd: layout.root, env: nothing }).status).toBe(1);
    expect(running.map((entry) => entry.name)).toEqual(expect.arrayContaining(['relay', 'projections', 'team-rbac', 'job-history', 'usage-metering', 'runtime-registry', 'billing', 'gateway']));
  });

  it('bootstraps the first owner, whose token then reads /v1/me through the gateway', async () => {
    const printed = await runToEnd(layout, ['bootstrap', '--json', '--url', gatewayUrl], baseEnv);
    const result = JSON.parse(printed.split('\n').find((line) => line.startsWith('{"url":'))!) as { ownerToken: string; ownerEmail: string; organizationId: string };
    expect(result.ownerToken).toMatch(/^stu_/);
    const me = await waitFor('the owner in the team read model', async () => {
      const response = await fetch(`${gatewayUrl}/v1/me`, { headers: { authorization: `Bearer ${result.ownerToken}` } });
      return response.status === 200 ? ((await response.json()) as { email: string }) : undefined;
    });
    expect(me.email).toBe(result.ownerEmail);
  });

  it('serves the web console built in the image at /, under its Content-Security-Policy', async () => {
    const page = await fetch(`${gatewayUrl}/`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(html);
    expect(script).not.toBeNull();
    const asset = await fetch(`${gatewayUrl}${script![1]}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  it('exposes each process’s metrics on its ops port, and runs the operator CLI', async () => {
    const scrape = async (name: string): Promise<string> => {
      const entry = running.find((candidate) => candidate.name === name)!;
      const response = await fetch(entry.readyUrl.replace('/readyz', '/metrics'));
      expect(response.status).toBe(200);
      return response.text();
    };
    expect(await scrape('projections')).toMatch(/^steward_projection_lag_events\{[^}]*projection="team"[^}]*\} \d+/m);
    expect(await scrape('usage-metering')).toMatch(/^steward_projection_active\{[^}]*projection="usage-rerate"[^}]*\} 1$/m);
    expect(await scrape('relay')).toMatch(/^steward_relay_lag\{[^}]*\} \d+$/m);
    expect(await scrape('billing')).toMatch(/^steward_projection_active\{[^}]*projection="billing-consumption"[^}]*\} 1$/m);
    // billing's readiness asks Redis too: its invoice close job runs on BullMQ
    const billing = running.find((candidate) => candidate.name === 'billing')!;
    const readiness = (await (await fetch(billing.readyUrl)).json()) as { status: string; checks: Record<string, { status: string }> };
    expect(readiness).toMatchObject({ status: 'ready', checks: { postgres: { status: 'up' }, redis: { status: 'up' } } });
    const status = JSON.parse(await runToEnd(layout, ['steward', 'projections', 'status', '--json'], baseEnv)) as unknown;
    expect(JSON.stringify(status)).toContain('"team"');
  });

  it('stops every process cleanly on SIGTERM, well within a termination grace period', async () => {
    const started = Date.now();
    for (const entry of running) entry.child.kill('SIGTERM');
    const exits = await Promise.all(
      running.map(async (entry) => {
        const timer = setTimeout(() => entry.child.kill('SIGKILL'), STOP_GRACE_MS);
        try {
          return [entry.name, await entry.exited] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    expect(Object.fromEntries(exits)).toEqual(Object.fromEntries(running.map((entry) => [entry.name, { code: 0, signal: null }])));
    expect(Date.now() - started).toBeLessThan(STOP_GRACE_MS);
  }, 60_000);
});
