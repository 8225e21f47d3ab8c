/**
 * `npm run bench:ingest`: usage ingest end to end on the real process stack
 * (gateway → JetStream → usage-metering → event store → chargeback projection).
 *
 * 1. Sustained: BENCH_EVENTS events in HTTP batches of BENCH_BATCH (1,000),
 *    BENCH_CONCURRENCY requests in flight; events/s from the first request to
 *    the moment all of them are visible (target ≥ 20,000 ev/s).
 * 2. Freshness: a steady BENCH_STEADY_RATE (5,000 ev/s) for BENCH_STEADY_SECONDS,
 *    batches every 50 ms; per batch the time from its 202 to the moment the
 *    visible total covers it; p50 / p99 (target p99 < 500 ms).
 * 3. Raw COPY of the same rows (UsageRecorded-shaped event rows) into a plain
 *    PostgreSQL table: the ceiling for writing the same bytes, and the ratio.
 *
 * Where the CPU went during the sustained run: each process of the stack (this benchmark's children),
 * and the PostgreSQL backends serving each of them (matched by their TCP connections), in CPU seconds
 * and µs per event. NATS is shared with whatever else runs on the machine: its figure is indicative.
 *
 * "Visible": the chargeback rollups' total calls of the workspace (rm_chargeback.usage_rollups,
 * day grain) when that read model exists, else UsageRecorded events in the store.
 *
 * Replicas: `--replicas=1,2` (BENCH_REPLICAS; `npm run bench:ingest-replicas`) runs the sustained and
 * freshness runs once per count on a fresh stack with that many gateway and usage-metering processes
 * (the client sends its batches to the gateways in turn, as a load balancer would), then prints the
 * figures side by side with the ratio of each to the first count's. A count given several times
 * (`--replicas=1,2,2,1`) is run that often and its median compared. On a 2-core machine two replicas
 * do not add throughput: the point is what a second replica costs.
 *
 * Options (env or --flag=): BENCH_EVENTS (200,000: some seconds at the target, so the pipeline's fill and drain do not dominate), BENCH_BATCH (1,000), BENCH_CONCURRENCY (4),
 * BENCH_STEADY_RATE (5,000), BENCH_STEADY_SECONDS (8). A running stack instead of a fresh one:
 * BENCH_URL, BENCH_API_KEY (scope usage:write), BENCH_WORKSPACE, and DATABASE_URL of its database.
 * The figures are indicative on a shared machine.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { createTestEnv, startStack, type Stack, type TestEnv } from '@steward/testing';
import { chunksOf, copyFromStdin, copyText } from './store/pg-copy';

export function option(name: string, fallback: number): number {
  const flag = process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
  const text = flag ?? process.env[`BENCH_${name.replace(/-/g, '_').toUpperCase()}`];
  if (text === undefined || text === '') return fallback;
  const value = Number(text.replace(/_/g, ''));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${text}`);
  return value;
}

export const EVENTS = option('events', 200_000);
export const BATCH = option('batch', 1_000);
export const CONCURRENCY = option('concurrency', 4);
export const STEADY_RATE = option('steady-rate', 5_000);
export const STEADY_SECONDS = option('steady-seconds', 8);
const STEADY_TICK_MS = 50;
const REPLICAS = (process.argv.find((arg) => arg.startsWith('--replicas='))?.split('=')[1] ?? process.env.BENCH_REPLICAS ?? '1')
  .split(',')
  .map((text) => {
    const count = Number(text.trim());
    if (!Number.isInteger(count) || count < 1 || count > 4) throw new Error(`replicas must be whole numbers 1–4, got ${text}`);
    return count;
  });
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4', 'gemini-2.5-pro'];
const AGENTS = ['researcher', 'writer', 'reviewer', 'planner', 'coder'];

export interface Target {
  /** Every gateway replica: batches go to each in turn. */
  readonly urls: readonly string[];
  readonly apiKey: string;
  readonly workspaceId: string;
  readonly pool: pg.Pool;
  readonly stop: () => Promise<void>;
}

export function usageEvent(run: string, index: number): Record<string, unknown> {
  const input = 800 + (index % 1700);
  return {
    id: `${run}-${index}`,
    source: 'bench-ingest',
    time: new Date().toISOString(),
    agent: AGENTS[index % AGENTS.length],
    provider: index % 4 === 2 ? 'anthropic' : index % 4 === 3 ? 'google' : 'openai',
    model: MODELS[index % MODELS.length],
    inputTokens: input,
    outputTokens: 100 + (index % 400),
    cacheReadInputTokens: index % 3 === 0 ? Math.floor(input / 2) : 0,
    reasoningOutputTokens: 0,
    responseTimeMs: 300 + (index % 900),
    status: index % 50 === 0 ? 'error' : 'success',
  };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export interface TargetOptions {
  /** Instances of the gateway and of usage-metering (default 1). */
  readonly replicas?: number;
  /** Processes of the stack not to start (see startStack's `without`). */
  readonly without?: readonly string[];
  /** Runs once the stack is up, with the owner's token (e.g. settings a run needs). */
  readonly prepare?: (stack: Stack) => Promise<void>;
}

export async function startTarget(options: TargetOptions = {}): Promise<Target & { organizationId?: string }> {
  const replicas = options.replicas ?? 1;
  if (process.env.BENCH_URL) {
    const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/steward', max: 2 });
    return {
      urls: process.env.BENCH_URL.split(','),
      apiKey: process.env.BENCH_API_KEY ?? '',
      workspaceId: process.env.BENCH_WORKSPACE ?? '',
      pool,
      stop: () => pool.end(),
    };
  }
  const env: TestEnv = await createTestEnv();
  let stack: Stack | undefined;
  try {
    stack = await startStack(env, {
      logLevel: 'warn',
      env: { GATEWAY_RATE_LIMIT_API_KEY: '10000000', GATEWAY_REQUEST_LOG_LEVEL: 'debug' },
      replicas: { gateway: replicas, 'usage-metering': replicas },
      readyTimeoutMs: 180_000,
      ...(options.without ? { without: options.without } : {}),
    });
    await options.prepare?.(stack);
    const issued = await fetch(`${stack.url}/v1/workspaces/${stack.workspaceId}/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.ownerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench agent', scopes: ['usage:write'] }),
    });
    const key = (await issued.json()) as { key: string };
    // the key authenticates once each gateway's cache sees it
    for (const gateway of stack.gatewayUrls) {
      for (let tries = 0; tries < 200; tries++) {
        const probe = await fetch(`${gateway}/v1/workspaces/${stack.workspaceId}/usage`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ events: [usageEvent(`warm-${randomUUID()}`, 0)] }),
        });
        if (probe.status === 202) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const running = stack;
    return {
      urls: stack.gatewayUrls,
      apiKey: key.key,
      workspaceId: stack.workspaceId,
      organizationId: stack.organizationId,
      pool: env.pool,
      stop: async () => {
        await running.stop();
        await env.dispose();
      },
    };
  } catch (error) {
    await stack?.stop();
    await env.dispose();
    throw error;
  }
}

/** User + system CPU seconds of a process (Linux /proc), 0 once it is gone. */
export function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** The stack's processes (children of this one, by their entry file) and NATS: pid → name. */
function stackProcesses(): Map<number, string> {
  const names = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.split(') ')[1]!.split(' ')[1]);
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (ppid === process.pid) {
        const entryFile = cmdline.find((arg) => arg.endsWith('main.ts'));
        // the instance's name (`gateway-2` for a replica) when the stack set it
        const instance = readFileSync(`/proc/${pid}/environ`, 'utf8')
          .split('\0')
          .find((variable) => variable.startsWith('STEWARD_PROCESS='))
          ?.slice('STEWARD_PROCESS='.length);
        if (entryFile) names.set(pid, instance ?? entryFile.replace(/.*\/(services|libs)\/([^/]+)\/.*/, '$2').replace('messaging', 'relay'));
      } else if (cmdline[0]?.endsWith('nats-server')) {
        names.set(pid, 'nats-server (shared)');
      }
    } catch {
      // the process ended meanwhile
    }
  }
  names.set(process.pid, 'bench (HTTP client)');
  return names;
}

/** The PostgreSQL backends serving the given processes: `ss` pairs each backend's socket (local :5432) with its client's. */
function backendsOf(clients: ReadonlyMap<number, string>): Map<number, string> {
  const names = new Map<number, string>();
  let sockets: string;
  try {
    sockets = execFileSync('ss', ['-tnpH', 'state', 'established'], { encoding: 'utf8' });
  } catch {
    return names;
  }
  const clientOf = new Map<string, number>();
  const backends: Array<{ peer: string; pid: number }> = [];
  for (const line of sockets.split('\n')) {
    const match = /(\S+:\d+)\s+(\S+:\d+)\s+users:\(\("[^"]*",pid=(\d+)/.exec(line);
    if (!match) continue;
    const [, local, peer, pid] = match as unknown as [string, string, string, string];
    if (local.endsWith(':5432')) backends.push({ peer, pid: Number(pid) });
    else if (peer.endsWith(':5432')) clientOf.set(local, Number(pid));
  }
  for (const { peer, pid } of backends) {
    const client = clients.get(clientOf.get(peer) ?? -1);
    if (client && !client.startsWith('nats')) names.set(pid, `postgres for ${client}`);
  }
  return names;
}

/**
 * CPU seconds per process name while it runs: samples every 500 ms, so that PostgreSQL backends opened and
 * closed meanwhile (pools let idle connections go) are counted too. A backend first seen mid-run counts
 * from its start.
 */
export function cpuMeter(): { stop: () => Array<[string, number]> } {
  const seen = new Map<number, { name: string; first: number; last: number }>();
  const stack = stackProcesses();
  const sample = (initial: boolean): void => {
    for (const [pid, name] of [...stack, ...backendsOf(stack)]) {
      const seconds = cpuSecondsOf(pid);
      const known = seen.get(pid);
      if (known) known.last = Math.max(known.last, seconds);
      else seen.set(pid, { name, first: initial || !name.startsWith('postgres') ? seconds : 0, last: seconds });
    }
  };
  sample(true);
  const timer = setInterval(() => sample(false), 500);
  return {
    stop: () => {
      clearInterval(timer);
      sample(false);
      const usage = new Map<string, number>();
      for (const { name, first, last } of seen.values()) usage.set(name, (usage.get(name) ?? 0) + last - first);
      return [...usage].filter(([, seconds]) => seconds > 0.005).sort((a, b) => b[1] - a[1]);
    },
  };
}

/**
 * UsageRecorded events of the workspace in the store (what usage-metering has appended): the revisions of
 * its usage streams (`usage-<workspace>-<day>`, committed with the events), not a count over the events,
 * which would scan (and load) the store every poll.
 */
export function storeProbe(pool: pg.Pool, workspaceId: string): () => Promise<number> {
  return async () => {
    const result = await pool.query<{ count: string }>(
      `SELECT coalesce(sum(revision + 1), 0)::text AS count FROM steward_events.streams WHERE left(stream_id, length($1)) = $1`,
      [`usage-${workspaceId}-`],
    );
    return Number(result.rows[0]?.count ?? 0);
  };
}

/** What "visible" reads: the chargeback rollups when they exist, else the store. */
export async function visibleProbe(pool: pg.Pool, workspaceId: string): Promise<{ what: string; read: () => Promise<number> }> {
  const { rows } = await pool.query<{ exists: boolean }>(`SELECT to_regclass('rm_chargeback.usage_rollups') IS NOT NULL AS exists`);
  if (rows[0]?.exists) {
    return {
      what: 'chargeback rollups (rm_chargeback.usage_rollups, day grain: sum of calls)',
      read: async () => {
        const result = await pool.query<{ calls: string }>(
          `SELECT coalesce(sum(calls), 0)::text AS calls FROM rm_chargeback.usage_rollups WHERE workspace_id = $1 AND grain = 1440`,
          [workspaceId],
        );
        return Number(result.rows[0]?.calls ?? 0);
      },
    };
  }
  return { what: 'UsageRecorded events in the store (no chargeback read model yet)', read: storeProbe(pool, workspaceId) };
}

/** A request body of usage events (built before the clock starts where it can: the agents run elsewhere). */
function bodyOf(events: readonly Record<string, unknown>[]): string {
  return JSON.stringify({ events });
}

let nextGateway = 0;

async function postBatch(target: Target, body: string): Promise<void> {
  const url = target.urls[nextGateway++ % target.urls.length];
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${url}/v1/workspaces/${target.workspaceId}/usage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${target.apiKey}`, 'content-type': 'application/json' },
      body,
    });
    const text = await response.text();
    if (response.status === 202) return;
    if ((response.status === 429 || response.status === 503) && attempt < 50) {
      await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get('retry-after') ?? 1) * 1000));
      continue;
    }
    throw new Error(`ingest answered ${response.status}: ${text.slice(0, 300)}`);
  }
}

async function waitVisible(read: () => Promise<number>, total: number, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let lastMoved = Date.now();
  for (;;) {
    const seen = await read();
    if (seen >= total) return performance.now();
    if (seen !== last) {
      last = seen;
      lastMoved = Date.now();
    }
    // nothing moves for 30 s: usage-metering (or the projection) is not running
    if (Date.now() > deadline || Date.now() - lastMoved > 30_000) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function sustained(
  target: Target,
  read: () => Promise<number>,
  base: number,
  store: { read: () => Promise<number>; base: number },
  /** Awaited once visible, before the CPU meter stops: another consumer's catching up counts in the run's CPU. */
  settle?: () => Promise<void>,
) {
  const run = `s-${randomUUID().slice(0, 8)}`;
  const batches = Math.ceil(EVENTS / BATCH);
  const bodies = Array.from({ length: batches }, (_, batch) => {
    const from = batch * BATCH;
    return bodyOf(Array.from({ length: Math.min(BATCH, EVENTS - from) }, (_, offset) => usageEvent(run, from + offset)));
  });
  let next = 0;
  const cpu = cpuMeter();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let batch = next++; batch < batches; batch = next++) await postBatch(target, bodies[batch]!);
    }),
  );
  const accepted = performance.now();
  // recorded in the store (metering's share), then visible (the projection's too)
  const recorded = await waitVisible(store.read, store.base + EVENTS, 300_000);
  const visible = recorded === undefined ? undefined : await waitVisible(read, base + EVENTS, 300_000);
  if (visible !== undefined) await settle?.();
  return {
    cpu: cpu.stop(),
    acceptedToRecordedMs: recorded === undefined ? undefined : recorded - accepted,
    recordedPerSecond: recorded === undefined ? undefined : EVENTS / ((recorded - started) / 1000),
    acceptedPerSecond: EVENTS / ((accepted - started) / 1000),
    visiblePerSecond: visible === undefined ? undefined : EVENTS / ((visible - started) / 1000),
    seconds: visible === undefined ? undefined : (visible - started) / 1000,
  };
}

/** Accepted batches, and when each became covered by what a probe reads. */
export class CoverageWatch {
  readonly latencies: number[] = [];
  private cursor = 0;

  constructor(
    private readonly acceptedAt: ReadonlyArray<{ cumulative: number; at: number }>,
    private readonly read: () => Promise<number>,
    private readonly base: number,
  ) {}

  get done(): boolean {
    return this.cursor >= this.acceptedAt.length;
  }

  async poll(): Promise<void> {
    const seen = (await this.read()) - this.base;
    const now = performance.now();
    while (this.cursor < this.acceptedAt.length && (this.acceptedAt[this.cursor]?.cumulative ?? Infinity) <= seen) {
      this.latencies.push(now - (this.acceptedAt[this.cursor]?.at ?? now));
      this.cursor++;
    }
  }

  summary(): { measured: number; p50: number; p99: number; max: number | undefined } {
    const sorted = [...this.latencies].sort((left, right) => left - right);
    return { measured: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) };
  }
}

export async function freshness(
  target: Target,
  read: () => Promise<number>,
  base: number,
  store: { read: () => Promise<number>; base: number },
  /** More probes to time each accepted batch against (name → what it reads, its count before the run). */
  extra: Readonly<Record<string, { read: () => Promise<number>; base: number }>> = {},
) {
  const run = `f-${randomUUID().slice(0, 8)}`;
  const perTick = Math.max(1, Math.round((STEADY_RATE * STEADY_TICK_MS) / 1000));
  const ticks = Math.round((STEADY_SECONDS * 1000) / STEADY_TICK_MS);
  const acceptedAt: Array<{ cumulative: number; at: number }> = [];
  let sent = 0;
  let polling = true;
  let stopBy = Number.POSITIVE_INFINITY;
  // the watchers: each accepted batch is visible (recorded) once the total covers it (batches are metered about in order)
  const visible = new CoverageWatch(acceptedAt, read, base);
  const recorded = new CoverageWatch(acceptedAt, store.read, store.base);
  const others = Object.entries(extra).map(([name, probe]) => [name, new CoverageWatch(acceptedAt, probe.read, probe.base)] as const);
  const watcher = (async () => {
    while (polling || !visible.done || others.some(([, watch]) => !watch.done)) {
      await Promise.all([visible.done ? undefined : visible.poll(), recorded.done ? undefined : recorded.poll(), ...others.map(([, watch]) => (watch.done ? undefined : watch.poll()))]);
      if (!polling && Date.now() > stopBy) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let tick = 0; tick < ticks; tick++) {
    const from = tick * perTick;
    const events = Array.from({ length: perTick }, (_, offset) => usageEvent(run, from + offset));
    inFlight.push(
      postBatch(target, bodyOf(events)).then(() => {
        sent += events.length;
        acceptedAt.push({ cumulative: sent, at: performance.now() });
      }),
    );
    const wait = started + (tick + 1) * STEADY_TICK_MS - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  const sending = await Promise.allSettled(inFlight);
  const achieved = sent / ((performance.now() - started) / 1000);
  stopBy = Date.now() + 60_000;
  polling = false;
  await watcher.catch((error: unknown) => process.stderr.write(`freshness watcher: ${String(error)}\n`));
  const failed = sending.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return {
    achieved,
    batches: ticks,
    perTick,
    ...visible.summary(),
    recorded: recorded.summary(),
    extra: Object.fromEntries(others.map(([name, watch]) => [name, watch.summary()])),
    /** Each accepted batch in the order of its 202: the run's events accepted so far, and when (performance.now()). */
    accepted: acceptedAt as ReadonlyArray<{ cumulative: number; at: number }>,
  };
}

/** The same rows as UsageRecorded events, COPYed into a plain table (no checks, no indexes but the key). */
async function rawCopy(pool: pg.Pool): Promise<{ perSecond: number; seconds: number }> {
  const client = await pool.connect();
  const table = `bench_ingest_copy_${Date.now()}`;
  try {
    await client.query(`CREATE TABLE ${table} (
      global_position bigserial PRIMARY KEY, transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(), event_id uuid NOT NULL,
      stream_id text NOT NULL, stream_revision bigint NOT NULL, type text NOT NULL, version integer NOT NULL,
      data jsonb NOT NULL, metadata jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())`);
    const run = `c-${randomUUID().slice(0, 8)}`;
    const receivedAt = new Date().toISOString();
    function* lines(): Generator<string> {
      for (let index = 0; index < EVENTS; index++) {
        const event = usageEvent(run, index);
        const data = { organizationId: 'org_bench', workspaceId: 'ws_bench', usageId: event.id, ...event, cacheCreationInputTokens: 0, cost: '0.004250000000', pricing: { status: 'priced', source: 'catalogue', ref: 'gpt-4o', unitPrices: { input: '0.0000025', output: '0.00001' } }, receivedAt, via: 'http' };
        const metadata = { correlationId: randomUUID(), actor: { type: 'service', id: 'usage-metering' }, organizationId: 'org_bench', workspaceId: 'ws_bench', occurredAt: receivedAt };
        yield `${randomUUID()}\t${copyText(`usage-ws_bench-${String(event.time).slice(0, 10)}`)}\t${index}\tUsageRecorded\t1\t${copyText(JSON.stringify(data))}\t${copyText(JSON.stringify(metadata))}\n`;
      }
    }
    const started = performance.now();
    const copied = await copyFromStdin(client, `COPY ${table} (event_id, stream_id, stream_revision, type, version, data, metadata) FROM STDIN`, chunksOf(lines()));
    const seconds = (performance.now() - started) / 1000;
    if (copied !== EVENTS) throw new Error(`COPY wrote ${copied} rows, expected ${EVENTS}`);
    return { perSecond: EVENTS / seconds, seconds };
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    client.release();
  }
}

export const fmt = (value: number | undefined, digits = 0): string => (value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits));

type Sustained = Awaited<ReturnType<typeof sustained>>;
type Freshness = Awaited<ReturnType<typeof freshness>>;

interface Run {
  readonly replicas: number;
  readonly visible: string;
  readonly sustained: Sustained;
  readonly fresh: Freshness | undefined;
  readonly copy: { perSecond: number; seconds: number } | undefined;
  /** /proc/loadavg right after the sustained run. */
  readonly load: string;
}

/** One fresh stack with `replicas` gateways and usage-metering processes: the sustained run, then freshness. */
async function runOnce(replicas: number, withCopy: boolean): Promise<Run> {
  process.stderr.write(`starting the stack (${replicas} gateway and usage-metering process${replicas > 1 ? 'es each' : ' each'})…\n`);
  const target = await startTarget({ replicas });
  try {
    const probe = await visibleProbe(target.pool, target.workspaceId);
    process.stderr.write(`visible = ${probe.what}\n`);
    const before = await probe.read();
    process.stderr.write(`sustained: ${EVENTS} events in batches of ${BATCH}, ${CONCURRENCY} in flight…\n`);
    const store = storeProbe(target.pool, target.workspaceId);
    const sustainedResult = await sustained(target, probe.read, before, { read: store, base: await store() });
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    process.stderr.write(`  accepted ${fmt(sustainedResult.acceptedPerSecond)} ev/s, visible ${fmt(sustainedResult.visiblePerSecond)} ev/s\n`);
    const afterSustained = await probe.read();
    process.stderr.write(`freshness: ${STEADY_RATE} ev/s for ${STEADY_SECONDS} s…\n`);
    const fresh =
      sustainedResult.visiblePerSecond === undefined
        ? undefined
        : await freshness(target, probe.read, afterSustained, { read: store, base: await store() });
    let copy: Run['copy'];
    if (withCopy) {
      process.stderr.write('raw COPY of the same rows…\n');
      copy = await rawCopy(target.pool);
    }
    return { replicas, visible: probe.what, sustained: sustainedResult, fresh, copy, load };
  } finally {
    await target.stop();
  }
}

function printRun(run: Run): void {
  const { sustained: sustainedResult, fresh, copy } = run;
  const label = REPLICAS.length > 1 || run.replicas > 1 ? ` — ${run.replicas} gateway + ${run.replicas} usage-metering` : '';
  console.log(`\nbench:ingest${label} — HTTP batches → JetStream → usage-metering → store → chargeback (indicative: shared machine)`);
  console.log(`visible means           ${run.visible}`);
  console.log(`events                  ${EVENTS} in batches of ${BATCH}, ${CONCURRENCY} requests in flight`);
  console.log(`accepted (202)          ${fmt(sustainedResult.acceptedPerSecond)} ev/s`);
  console.log(`recorded in the store    ${fmt(sustainedResult.recordedPerSecond)} ev/s (metering's share of the way)`);
  console.log(
    `sustained end to end    ${fmt(sustainedResult.visiblePerSecond)} ev/s in ${fmt(sustainedResult.seconds, 1)} s   target ≥ 20000   ${sustainedResult.visiblePerSecond === undefined ? 'NOT VISIBLE (is usage-metering running?)' : sustainedResult.visiblePerSecond >= 20_000 ? 'PASS' : 'MISS'}`,
  );
  if (fresh) {
    console.log(`steady rate             ${STEADY_RATE} ev/s asked, ${fmt(fresh.achieved)} ev/s sent, ${fresh.batches} batches of ${fresh.perTick} over ${STEADY_SECONDS} s`);
    console.log(`freshness p50           ${fmt(fresh.p50)} ms (accepted → visible, ${fresh.measured} batches)`);
    console.log(`freshness p99           ${fmt(fresh.p99)} ms   target < 500   ${fresh.p99 < 500 ? 'PASS' : 'MISS'}   (max ${fmt(fresh.max)} ms)`);
    console.log(`accepted → recorded     p50 ${fmt(fresh.recorded.p50)} ms, p99 ${fmt(fresh.recorded.p99)} ms (in the store; metering's share)`);
  }
  console.log(`accepted → recorded     ${fmt(sustainedResult.acceptedToRecordedMs)} ms after the last 202`);
  console.log(`CPU during the sustained run (s, µs per event), load average ${run.load}:`);
  for (const [name, seconds] of sustainedResult.cpu) {
    console.log(`  ${name.padEnd(34)} ${seconds.toFixed(2).padStart(6)} s ${((seconds * 1e6) / EVENTS).toFixed(1).padStart(7)} µs/event`);
  }
  if (copy) {
    const ratio = sustainedResult.visiblePerSecond === undefined ? undefined : sustainedResult.visiblePerSecond / copy.perSecond;
    console.log(`raw COPY, same rows     ${fmt(copy.perSecond)} ev/s (${fmt(copy.seconds, 2)} s, one COPY into a plain table)`);
    console.log(`ratio end to end / COPY ${ratio === undefined ? 'n/a' : ratio.toFixed(3)}`);
  }
}

/** Steward's own CPU per event (its processes, not PostgreSQL, NATS or the client). */
function stewardCpuPerEvent(run: Run): number {
  const seconds = run.sustained.cpu.filter(([name]) => !name.startsWith('postgres') && !name.startsWith('nats') && !name.startsWith('bench')).reduce((sum, [, value]) => sum + value, 0);
  return (seconds * 1e6) / EVENTS;
}

function printComparison(runs: readonly Run[]): void {
  // several runs of a count (`--replicas=1,2,2,1`, to even out a machine whose speed drifts): their median
  const counts = [...new Set(runs.map((run) => run.replicas))];
  const median = (values: readonly number[]): number | undefined => {
    const sorted = [...values].sort((a, b) => a - b);
    if (sorted.length === 0) return undefined;
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1]! + sorted[middle]!) / 2;
  };
  const of = (count: number, read: (run: Run) => number | undefined): number | undefined =>
    median(runs.filter((run) => run.replicas === count).map(read).filter((value): value is number => value !== undefined && !Number.isNaN(value)));
  const base = counts[0]!;
  const ratio = (value: number | undefined, first: number | undefined): string => (value === undefined || first === undefined || first === 0 ? 'n/a' : (value / first).toFixed(2));
  const rows: Array<[string, (run: Run) => number | undefined]> = [
    ['accepted (202), ev/s', (run) => run.sustained.acceptedPerSecond],
    ['recorded in the store, ev/s', (run) => run.sustained.recordedPerSecond],
    ['sustained end to end, ev/s', (run) => run.sustained.visiblePerSecond],
    ['freshness p50, ms', (run) => run.fresh?.p50],
    ['freshness p99, ms', (run) => run.fresh?.p99],
    ['Steward CPU, µs/event', stewardCpuPerEvent],
  ];
  const label = (count: number): string => `${count} replica${count > 1 ? 's' : ''} (${runs.filter((run) => run.replicas === count).length} run${runs.filter((run) => run.replicas === count).length > 1 ? 's' : ''})`;
  console.log(`\nbench:ingest — replicas side by side, median per count (ratio: to ${base} replica${base > 1 ? 's' : ''}; same machine, same invocation)`);
  console.log(`${''.padEnd(30)}${counts.map((count) => label(count).padStart(22)).join('')}${counts.slice(1).map((count) => `ratio ${count}/${base}`.padStart(12)).join('')}`);
  for (const [name, read] of rows) {
    console.log(`${name.padEnd(30)}${counts.map((count) => fmt(of(count, read)).padStart(22)).join('')}${counts.slice(1).map((count) => ratio(of(count, read), of(base, read)).padStart(12)).join('')}`);
  }
}

async function main(): Promise<void> {
  const runs: Run[] = [];
  for (const [index, replicas] of REPLICAS.entries()) runs.push(await runOnce(replicas, index === 0));
  for (const run of runs) printRun(run);
  if (runs.length > 1) printComparison(runs);
  const copy = runs[0]!.copy!;
  for (const run of runs) {
    const ratio = run.sustained.visiblePerSecond === undefined ? undefined : run.sustained.visiblePerSecond / copy.perSecond;
    console.log(
      JSON.stringify({
        bench: 'ingest',
        at: new Date().toISOString(),
        replicas: run.replicas,
        visible: run.visible,
        events: EVENTS,
        batch: BATCH,
        concurrency: CONCURRENCY,
        acceptedPerSecond: Math.round(run.sustained.acceptedPerSecond),
        recordedPerSecond: run.sustained.recordedPerSecond === undefined ? null : Math.round(run.sustained.recordedPerSecond),
        visiblePerSecond: run.sustained.visiblePerSecond === undefined ? null : Math.round(run.sustained.visiblePerSecond),
        steadyRate: STEADY_RATE,
        freshnessP50: run.fresh ? Math.round(run.fresh.p50) : null,
        freshnessP99: run.fresh ? Math.round(run.fresh.p99) : null,
        recordedP99: run.fresh ? Math.round(run.fresh.recorded.p99) : null,
        stewardCpuMicrosPerEvent: Number(stewardCpuPerEvent(run).toFixed(1)),
        copyPerSecond: Math.round(copy.perSecond),
        ratio: ratio === undefined ? null : Number(ratio.toFixed(3)),
      }),
    );
    if (run.sustained.visiblePerSecond === undefined) process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
