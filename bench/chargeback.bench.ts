/**
 * `npm run bench:chargeback [-- --events 1000000[,10000000] --iterations 200 --apply 200000 --batch 5000 --replay rebuild --page 10000]`:
 *
 * 1. The Usage Analytics queries (summary, timeline, by-model) for one
 *    workspace over 90 days, p50/p99, at each scale, and the ratio of the
 *    largest scale's p99 to the smallest's.
 * 2. The chargeback projection's apply rate: the real projection runner
 *    catching up on the loaded store (store reads included), and the batch
 *    handler alone over `--apply` events (no store reads: what the projection's
 *    own statements cost).
 *
 * Each scale gets a fresh database. Its events are real UsageRecorded events
 * (one workspace, 5 agents × 4 models, plus a second workspace with a tenth of
 * the calls as noise, spread over 91 days, priced with usage-metering's
 * usageCost) written by a bulk loader: `COPY` into the event store's own
 * events table (one transaction per 50,000 events, stream revisions counted
 * here, the streams' revisions set after), which is what appendMany writes
 * without its per-call checks. Then the real chargeback projection replays
 * them: `--replay rebuild` (default) through ProjectionRebuilder, pages of
 * `--page` events, what a deployment of a new projection version does;
 * `--replay runner` through the live runner (ProjectionHost, `--batch` events
 * per transaction) from the start of the store.
 *
 * Queries go through ChargebackRepository (what the gateway routes call), not
 * HTTP. Each run asks for the range `period=90d` gives at a different `now`
 * (15 minutes later each time, not aligned to an hour or a day), so no run
 * reuses the previous one's range; the trio is the three queries one after
 * another (what a dashboard load costs on one connection).
 */
import { loadavg } from 'node:os';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type pg from 'pg';
import { UsageRecorded, UsageStreams, usageEventIdFor, type UsageRecordedData } from '@steward/contracts';
import { PostgresEventStore, DEFAULT_EVENT_STORE_SCHEMA, type RecordedEvent } from '@steward/event-store';
import { ProjectionHost } from '@steward/projections';
import { createTestEnv } from '@steward/testing';
import { usageCost } from '@steward/usage-metering';
import {
  CHARGEBACK_PROJECTION,
  CHARGEBACK_SCHEMA,
  ChargebackRepository,
  ceilQuarter,
  chargebackProjection,
  type UsageScope,
} from '@steward/usage-metering';
import { chunksOf, copyFromStdin, copyText } from './store/pg-copy';

const DAY = 86_400_000;
const QUARTER = 15 * 60_000;
const AGENTS = ['planner', 'coder', 'reviewer', 'support', 'ingest'];
const MODELS = [
  { provider: 'openai', model: 'gpt-4o', input: '0.0000025', output: '0.00001' },
  { provider: 'openai', model: 'gpt-4o-mini', input: '0.00000015', output: '0.0000006' },
  { provider: 'anthropic', model: 'claude-sonnet-4', input: '0.000003', output: '0.000015' },
  { provider: 'anthropic', model: 'claude-haiku-4', input: '0.0000008', output: '0.000004' },
];
const ORGANIZATION = 'org_bench';
const WORKSPACE = 'ws_bench';
const NOISE = 'ws_noise';
/** The data ends here; queries end at most one day earlier and reach 90 days back. */
const END = Date.parse('2026-11-01T00:00:00Z');
export const SPAN_DAYS = 91;
const COPY_EVENTS = 50_000;

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1]! : fallback;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function load(): string {
  return loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');
}

/** Costs repeat every 7,200 calls (the token counts and the model are functions of n mod 7,200). */
const costs = new Map<number, string>();

/**
 * Whose calls and when: one workspace of `organizationId` takes nine calls in ten, `noiseWorkspaceId` (of
 * `noiseOrganizationId`) the tenth; the span ends at `end` (ms). bench:console loads a stack's workspace
 * up to now with it.
 */
export interface UsageDataSet {
  readonly organizationId: string;
  readonly workspaceId: string;
  readonly noiseOrganizationId: string;
  readonly noiseWorkspaceId: string;
  readonly end: number;
}

const CHARGEBACK_DATA: UsageDataSet = { organizationId: ORGANIZATION, workspaceId: WORKSPACE, noiseOrganizationId: ORGANIZATION, noiseWorkspaceId: NOISE, end: END };

interface BenchEvent {
  readonly streamId: string;
  readonly eventId: string;
  readonly data: UsageRecordedData;
  readonly metadata: Record<string, unknown>;
}

/** Call n of `events`, in time order over SPAN_DAYS days ending at the data set's end. */
function benchEvent(n: number, events: number, set: UsageDataSet = CHARGEBACK_DATA): BenchEvent {
  const time = new Date(set.end - SPAN_DAYS * DAY + Math.floor((n / events) * SPAN_DAYS * DAY)).toISOString();
  const noise = n % 10 === 9;
  const workspaceId = noise ? set.noiseWorkspaceId : set.workspaceId;
  const organizationId = noise ? set.noiseOrganizationId : set.organizationId;
  const model = MODELS[n % MODELS.length]!;
  const inputTokens = 200 + (n % 1800);
  const outputTokens = 20 + (n % 480);
  let cost = costs.get(n % 7200);
  if (cost === undefined) {
    cost = usageCost({ inputTokens, outputTokens, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, reasoningOutputTokens: 0 }, { input: model.input, output: model.output });
    costs.set(n % 7200, cost);
  }
  const data: UsageRecordedData = {
    organizationId,
    workspaceId,
    usageId: `u-${n}`,
    source: 'bench',
    time,
    agent: AGENTS[(n >> 2) % AGENTS.length]!,
    provider: model.provider,
    model: model.model,
    inputTokens,
    outputTokens,
    cacheReadInputTokens: 0,
    cacheCreationInputTokens: 0,
    reasoningOutputTokens: 0,
    responseTimeMs: 100 + (n % 900),
    status: n % 50 === 0 ? 'error' : 'success',
    cost,
    pricing: { status: 'priced', source: 'catalogue', ref: model.model, unitPrices: { input: model.input, output: model.output } },
    receivedAt: time,
    via: 'http',
  };
  return {
    streamId: UsageStreams.usage(workspaceId, time),
    eventId: usageEventIdFor(workspaceId, 'bench', data.usageId),
    data,
    metadata: { correlationId: `bench-${n}`, actor: { type: 'service', id: 'bench' }, organizationId, workspaceId, occurredAt: time },
  };
}

/**
 * Writes `events` UsageRecorded events into the store's tables with COPY (one
 * transaction per COPY_EVENTS), then the streams' revisions. Returns the seconds it took.
 * The data set's streams must be new (their revisions are counted from 0 here).
 */
export async function bulkLoad(pool: pg.Pool, events: number, set: UsageDataSet = CHARGEBACK_DATA): Promise<number> {
  const started = Date.now();
  const schema = DEFAULT_EVENT_STORE_SCHEMA;
  const revisions = new Map<string, number>();
  // the first call checks the shape against the contract once
  UsageRecorded.schema.parse(benchEvent(0, events, set).data);
  const client = await pool.connect();
  try {
    // a bulk load's usual care, in this throwaway database: no autovacuum racing the load (and later the queries)
    // over the table being filled; ANALYZE once at the end
    await client.query(`ALTER TABLE "${schema}".events SET (autovacuum_enabled = false)`);
    for (let offset = 0; offset < events; offset += COPY_EVENTS) {
      const last = Math.min(events, offset + COPY_EVENTS);
      function* lines(): Generator<string> {
        for (let n = offset; n < last; n++) {
          const event = benchEvent(n, events, set);
          const revision = revisions.get(event.streamId) ?? 0;
          revisions.set(event.streamId, revision + 1);
          yield `${event.eventId}\t${event.streamId}\t${revision}\tUsageRecorded\t1\t${copyText(JSON.stringify(event.data))}\t${copyText(JSON.stringify(event.metadata))}\n`;
        }
      }
      const copied = await copyFromStdin(
        client,
        `COPY "${schema}".events (event_id, stream_id, stream_revision, event_type, event_version, data, metadata) FROM STDIN`,
        chunksOf(lines()),
      );
      if (copied !== last - offset) throw new Error(`COPY wrote ${copied} rows, expected ${last - offset}`);
      if ((offset / COPY_EVENTS) % 20 === 0) process.stdout.write(`  copied ${last} of ${events} (${((Date.now() - started) / 1000).toFixed(0)} s, load ${load()})\n`);
    }
    await client.query(
      `INSERT INTO "${schema}".streams (stream_id, revision) SELECT * FROM unnest($1::text[], $2::bigint[])`,
      [[...revisions.keys()], [...revisions.values()].map((count) => count - 1)],
    );
    await client.query(`ANALYZE "${schema}".events`);
  } finally {
    client.release();
  }
  return (Date.now() - started) / 1000;
}

/**
 * The batch handler alone over the first `events` calls of the 10M data set (its density: a batch of 5,000 spans
 * about an hour), in memory, `batch` per transaction, into a schema of its own.
 */
async function applyRate(pool: pg.Pool, events: number, batch: number): Promise<{ seconds: number; perSecond: number }> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  const schema = 'bench_apply';
  await db.transaction().execute(async (trx) => {
    await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(trx);
    await sql`SET LOCAL search_path TO ${sql.id(schema)}`.execute(trx);
    await chargebackProjection.migrate(trx.withSchema(schema), schema);
  });
  const handle = chargebackProjection.handle!;
  let seconds = 0;
  for (let offset = 0; offset < events; offset += batch) {
    const recorded: RecordedEvent[] = [];
    for (let n = offset; n < Math.min(events, offset + batch); n++) {
      const event = benchEvent(n, 10_000_000);
      recorded.push({
        eventId: event.eventId,
        type: 'UsageRecorded',
        version: 1,
        data: event.data,
        metadata: event.metadata,
        streamId: event.streamId,
        streamRevision: BigInt(n),
        position: { commit: 1n, prepare: BigInt(n) },
        recordedAt: new Date(),
      } as RecordedEvent);
    }
    const t = performance.now();
    await db.transaction().execute(async (trx) => {
      await sql`SET LOCAL search_path TO ${sql.id(schema)}`.execute(trx);
      await handle(trx.withSchema(schema), recorded, { projection: CHARGEBACK_PROJECTION, schema });
    });
    seconds += (performance.now() - t) / 1000;
  }
  const { rows } = await pool.query<{ calls: string }>(`SELECT sum(calls)::text AS calls FROM ${schema}.usage_workspace_rollups WHERE grain = 1440`);
  if (Number(rows[0]!.calls) !== events) throw new Error(`applied ${rows[0]!.calls} calls, expected ${events}`);
  return { seconds, perSecond: events / seconds };
}

/** The chargeback read model rebuilt from the store by ProjectionRebuilder (what deploying a new version does); seconds. */
export async function rebuildChargeback(host: ProjectionHost, page: number): Promise<number> {
  await host.migrate();
  const result = await host.rebuild(CHARGEBACK_PROJECTION, { batchSize: page });
  const seconds = result.durationMs / 1000;
  process.stdout.write(
    `  projection rebuilt (ProjectionRebuilder, pages of ${page}) in ${seconds.toFixed(1)} s: ${Math.round(result.eventsPerSecond)} ev/s; waiting for reads ${(result.readWaitMs / 1000).toFixed(1)} s, applying ${(result.applyMs / 1000).toFixed(1)} s (load ${load()})\n`,
  );
  return seconds;
}

interface ScaleResult {
  events: number;
  loadSeconds: number;
  projectionSeconds: number;
  loadAverage: string;
  rows: string;
  queries: Record<string, { p50: number; p99: number }>;
}

async function runScale(events: number, iterations: number, batch: number, page: number, replay: string): Promise<ScaleResult> {
  const env = await createTestEnv();
  const store = new PostgresEventStore({ pool: env.pool });
  await store.migrate();
  const host = new ProjectionHost({ pool: env.pool, store, projections: [chargebackProjection], meter: false, batchSize: batch, lockPollIntervalMs: 2000 });
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: env.pool }) });
  const repository = new ChargebackRepository({ db });
  try {
    const loadSeconds = await bulkLoad(env.pool, events);
    process.stdout.write(`  ${events} events copied into the store in ${loadSeconds.toFixed(1)} s (load ${load()})\n`);
    let projectionSeconds: number;
    if (replay === 'rebuild') {
      projectionSeconds = await rebuildChargeback(host, page);
    } else {
      const head = await store.headPosition();
      const started = Date.now();
      await host.start();
      await host.runner(CHARGEBACK_PROJECTION).waitForPosition(head, 3_600_000);
      projectionSeconds = (Date.now() - started) / 1000;
      await host.stop();
      process.stdout.write(`  projection runner caught up in ${projectionSeconds.toFixed(1)} s: ${Math.round(events / projectionSeconds)} ev/s, batches of ${batch} (load ${load()})\n`);
    }
    const tables = ['usage_rollups', 'usage_workspace_rollups', 'usage_calls', 'usage_statement_lines'];
    const extra = await env.pool.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, [CHARGEBACK_SCHEMA]);
    const counts: string[] = [];
    for (const { table_name: name } of extra.rows) {
      await env.pool.query(`VACUUM ANALYZE ${CHARGEBACK_SCHEMA}.${name}`);
      const { rows } = await env.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${CHARGEBACK_SCHEMA}.${name}`);
      counts.push(`${name} ${rows[0]!.n}`);
    }
    if (!tables.every((name) => extra.rows.some((row) => row.table_name === name))) throw new Error(`missing chargeback tables: ${counts.join(', ')}`);
    // the load's dirty pages written now, not in the middle of the measurements
    await env.pool.query('CHECKPOINT');

    let turn = 0;
    /** `period=90d` at a `now` 15 minutes later each run (within the last day of data, never on an hour). */
    const nextScope = (agent?: string): UsageScope => {
      turn++;
      const now = END - DAY + ((turn * 7) % 96) * QUARTER + 7 * 60_000;
      const to = ceilQuarter(now);
      return { workspaceIds: [WORKSPACE], from: to - 90 * DAY, to, ...(agent ? { agent } : {}) };
    };
    if (process.argv.includes("--queries-off")) return { events, loadSeconds, projectionSeconds, loadAverage: load(), rows: "", queries: {} };
    const trio = (tz: string, agent?: string) => async () => {
      const scope = nextScope(agent);
      await repository.totals(scope);
      await repository.timeline(scope, 'day', tz);
      await repository.byModel(scope);
    };
    const queries: Record<string, () => Promise<unknown>> = {
      summary: () => repository.totals(nextScope()),
      'timeline day UTC': () => repository.timeline(nextScope(), 'day', 'UTC'),
      'timeline day Asia/Kolkata': () => repository.timeline(nextScope(), 'day', 'Asia/Kolkata'),
      'timeline day America/New_York': () => repository.timeline(nextScope(), 'day', 'America/New_York'),
      'timeline hour Asia/Kathmandu (7 days)': () => {
        const scope = nextScope();
        return repository.timeline({ ...scope, from: scope.to - 7 * DAY }, 'hour', 'Asia/Kathmandu');
      },
      'by-model': () => repository.byModel(nextScope()),
      'trio UTC': trio('UTC'),
      'trio Asia/Kolkata': trio('Asia/Kolkata'),
      'trio America/New_York': trio('America/New_York'),
      'trio Asia/Kolkata, agent coder': trio('Asia/Kolkata', 'coder'),
    };
    const results: Record<string, { p50: number; p99: number }> = {};
    for (const [name, run] of Object.entries(queries)) {
      for (let i = 0; i < 10; i++) await run();
      const times: number[] = [];
      for (let i = 0; i < iterations; i++) {
        const t = performance.now();
        await run();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      results[name] = { p50: percentile(times, 50), p99: percentile(times, 99) };
    }
    // the answer is right, too: every call of the workspace, every cent
    const all = await repository.totals({ workspaceIds: [WORKSPACE], from: END - SPAN_DAYS * DAY, to: END });
    const expected = await env.pool.query<{ calls: string; cost: string }>(
      `SELECT count(*)::text AS calls, sum((data->>'cost')::numeric)::text AS cost FROM "${DEFAULT_EVENT_STORE_SCHEMA}".events WHERE data->>'workspaceId' = $1`,
      [WORKSPACE],
    );
    const same = await env.pool.query<{ same: boolean }>('SELECT $1::numeric = $2::numeric AS same', [all.cost, expected.rows[0]!.cost]);
    if (all.calls !== Number(expected.rows[0]!.calls) || !same.rows[0]!.same) {
      throw new Error(`chargeback says ${all.calls} calls, ${all.cost} USD; the store holds ${expected.rows[0]!.calls} calls, ${expected.rows[0]!.cost} USD`);
    }
    process.stdout.write(`  workspace total over ${SPAN_DAYS} days: ${all.calls} calls, ${all.cost} USD (= the store's)\n`);
    return { events, loadSeconds, projectionSeconds, loadAverage: load(), rows: counts.join(', '), queries: results };
  } finally {
    await host.stop().catch(() => undefined);
    await store.close();
    // --keep: leave the database for EXPLAIN (dropped by the next test run after six hours)
    if (process.argv.includes('--keep')) process.stdout.write(`  kept database ${env.database}\n`);
    else await env.dispose();
  }
}

async function main(): Promise<void> {
  const scales = option('events', '1000000')
    .split(',')
    .map((text) => Number(text.replace(/_/g, '')));
  const iterations = Number(option('iterations', '200'));
  const batch = Number(option('batch', '5000'));
  const apply = Number(option('apply', '200000'));
  const page = Number(option('page', '10000'));
  const replay = option('replay', 'rebuild');
  if (replay !== 'rebuild' && replay !== 'runner') throw new Error('--replay takes rebuild or runner');
  if (scales.some((scale) => !Number.isInteger(scale) || scale < 1000 && scale !== 0)) throw new Error('--events takes whole numbers ≥ 1000, comma-separated');
  if (apply > 0) {
    const env = await createTestEnv();
    try {
      const rate = await applyRate(env.pool, apply, batch);
      process.stdout.write(
        `chargeback batch handler alone: ${apply} UsageRecorded in ${rate.seconds.toFixed(1)} s = ${Math.round(rate.perSecond)} ev/s, batches of ${batch} (load ${load()})\n`,
      );
    } finally {
      await env.dispose();
    }
  }
  const outcomes: ScaleResult[] = [];
  for (const events of scales.filter((scale) => scale > 0)) {
    process.stdout.write(`scale ${events.toLocaleString('en-US')} events\n`);
    outcomes.push(await runScale(events, iterations, batch, page, replay));
  }
  if (outcomes.length === 0) return;
  process.stdout.write(`\nchargeback queries, one workspace, period=90d (${iterations} runs each, ms)\n`);
  const names = Object.keys(outcomes[0]!.queries);
  const header = ['query', ...outcomes.flatMap((o) => [`p50 @${o.events}`, `p99 @${o.events}`])];
  process.stdout.write(`${header.join(' | ')}\n`);
  for (const name of names) {
    process.stdout.write(`${[name, ...outcomes.flatMap((o) => [o.queries[name]!.p50.toFixed(2), o.queries[name]!.p99.toFixed(2)])].join(' | ')}\n`);
  }
  for (const o of outcomes) {
    process.stdout.write(
      `@${o.events}: COPY ${o.loadSeconds.toFixed(1)} s, projection (${replay}) ${o.projectionSeconds.toFixed(1)} s (${Math.round(o.events / o.projectionSeconds)} ev/s); ${o.rows}; load average after the queries ${o.loadAverage}\n`,
    );
  }
  if (outcomes.length > 1) {
    const small = outcomes[0]!;
    const large = outcomes.at(-1)!;
    for (const name of names) {
      process.stdout.write(`ratio p99 ${large.events}/${small.events} ${name}: ${(large.queries[name]!.p99 / small.queries[name]!.p99).toFixed(2)}\n`);
    }
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
