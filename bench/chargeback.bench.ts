/**
 * `npm run bench:chargeback [-- --events 1000000[,10000000] --iterations 200]`:
 * the Usage Analytics queries (summary + timeline + by-model) for one workspace
 * over 90 days, p50/p99, at each scale, and the ratio of the largest scale to
 * the smallest.
 *
 * Each scale gets a fresh database: real UsageRecorded events (one workspace,
 * 5 agents × 4 models, spread over 90 days, plus a second workspace as noise)
 * are appended through the event store's own append path (appendMany, 5,000
 * per call) while the real chargeback projection (ProjectionHost) runs; the
 * queries start once the projection has caught up. Queries go through
 * ChargebackRepository (what the gateway routes call), not HTTP.
 */
import { usageCost } from '../services/usage-metering/src/pricing';
import { Kysely, PostgresDialect } from 'kysely';
// the Kysely instance shares the test environment's pool: env.dispose() ends it
import { UsageStreams, usageEventIdFor, type UsageRecordedData } from '@steward/contracts';
import { PostgresEventStore, type NewEvent } from '@steward/event-store';
import { ProjectionHost } from '@steward/projections';
import { createTestEnv } from '@steward/testing';
import { CHARGEBACK_PROJECTION, ChargebackRepository, chargebackProjection, type UsageScope } from '../services/usage-metering/src/read-models';
import { lastPositionOf } from '../services/usage-metering/src/read-models/chargeback/testing/usage-fixtures';

const DAY = 86_400_000;
const AGENTS = ['planner', 'coder', 'reviewer', 'support', 'ingest'];
const MODELS = [
  { provider: 'openai', model: 'gpt-4o', input: '0.0000025', output: '0.00001' },
  { provider: 'openai', model: 'gpt-4o-mini', input: '0.00000015', output: '0.0000006' },
  { provider: 'anthropic', model: 'claude-sonnet-4', input: '0.000003', output: '0.000015' },
  { provider: 'anthropic', model: 'claude-haiku-4', input: '0.0000008', output: '0.000004' },
];

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1]! : fallback;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface ScaleResult {
  events: number;
  loadSeconds: number;
  rollupRows: number;
  queries: Record<string, { p50: number; p99: number }>;
}

async function runScale(events: number, iterations: number): Promise<ScaleResult> {
  const env = await createTestEnv();
  const store = new PostgresEventStore({ pool: env.pool });
  await store.migrate();
  const host = new ProjectionHost({ pool: env.pool, store, projections: [chargebackProjection], meter: false, batchSize: 5000, lockPollIntervalMs: 2000 });
  await host.start();
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: env.pool }) });
  const repository = new ChargebackRepository({ db });
  const organizationId = 'org_bench';
  const workspaceId = 'ws_bench';
  const end = Date.parse('2026-11-01T00:00:00Z');
  const start = end - 90 * DAY;
  const started = Date.now();
  const streams = new Set<string>();
  try {
    const chunk = 5000;
    for (let offset = 0; offset < events; offset += chunk) {
      const byStream = new Map<string, NewEvent[]>();
      for (let n = offset; n < Math.min(events, offset + chunk); n++) {
        // in time order, so a call of appendMany touches one or two day streams
        const time = new Date(start + Math.floor((n / events) * 90 * DAY)).toISOString();
        const ws = n % 10 === 9 ? 'ws_noise' : workspaceId;
        const model = MODELS[n % MODELS.length]!;
        const inputTokens = 200 + (n % 1800);
        const outputTokens = 20 + (n % 480);
        const data: UsageRecordedData = {
          organizationId,
          workspaceId: ws,
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
          cost: usageCost({ inputTokens, outputTokens, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, reasoningOutputTokens: 0 }, { input: model.input, output: model.output }),
          pricing: { status: 'priced', source: 'catalogue', ref: model.model, unitPrices: { input: model.input, output: model.output } },
          receivedAt: time,
          via: 'http',
        };
        const streamId = UsageStreams.usage(ws, time);
        const list = byStream.get(streamId) ?? [];
        list.push({
          eventId: usageEventIdFor(ws, 'bench', data.usageId),
          type: 'UsageRecorded',
          version: 1,
          data,
          metadata: { correlationId: `bench-${n}`, actor: { type: 'service', id: 'bench' }, organizationId, workspaceId: ws, occurredAt: time },
        });
        byStream.set(streamId, list);
      }
      await store.appendMany([...byStream].map(([streamId, list]) => ({ streamId, events: list, expectedRevision: 'any' as const })));
      for (const streamId of byStream.keys()) streams.add(streamId);
      if ((offset / chunk) % 40 === 0) process.stdout.write(`  appended ${offset + chunk} of ${events} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
    }
    const appendedAt = Date.now();
    const last = await lastPositionOf(store, [...streams]);
    await host.runner(CHARGEBACK_PROJECTION).waitForPosition(last, 3_600_000);
    const loadSeconds = (Date.now() - started) / 1000;
    process.stdout.write(`  loaded ${events} events in ${loadSeconds.toFixed(1)} s (appends done at ${((appendedAt - started) / 1000).toFixed(1)} s, projection caught up after)\n`);
    await env.pool.query('VACUUM ANALYZE rm_chargeback.usage_rollups');
    const { rows } = await env.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM rm_chargeback.usage_rollups');

    const scope: UsageScope = { workspaceIds: [workspaceId], from: end - 90 * DAY, to: end };
    const queries: Record<string, () => Promise<unknown>> = {
      summary: () => repository.totals(scope),
      'timeline day UTC': () => repository.timeline(scope, 'day', 'UTC'),
      'timeline day Asia/Kolkata': () => repository.timeline(scope, 'day', 'Asia/Kolkata'),
      'timeline day America/New_York': () => repository.timeline(scope, 'day', 'America/New_York'),
      'by-model': () => repository.byModel(scope),
      'summary + timeline (UTC) + by-model': async () => {
        await repository.totals(scope);
        await repository.timeline(scope, 'day', 'UTC');
        await repository.byModel(scope);
      },
      'summary + timeline (Kolkata) + by-model': async () => {
        await repository.totals(scope);
        await repository.timeline(scope, 'day', 'Asia/Kolkata');
        await repository.byModel(scope);
      },
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
    // the answer is right, too
    const totals = await repository.totals(scope);
    process.stdout.write(`  workspace total over 90 days: ${totals.calls} calls, ${totals.cost} USD\n`);
    return { events, loadSeconds, rollupRows: Number(rows[0]!.n), queries: results };
  } finally {
    await host.stop();
    await store.close();
    await env.dispose();
  }
}

async function main(): Promise<void> {
  const scales = option('events', '1000000')
    .split(',')
    .map((text) => Number(text.replace(/_/g, '')));
  const iterations = Number(option('iterations', '200'));
  if (scales.some((scale) => !Number.isInteger(scale) || scale < 1000)) throw new Error('--events takes whole numbers ≥ 1000, comma-separated');
  const outcomes: ScaleResult[] = [];
  for (const events of scales) {
    process.stdout.write(`scale ${events.toLocaleString('en-US')} events\n`);
    outcomes.push(await runScale(events, iterations));
  }
  process.stdout.write(`\nchargeback queries, one workspace over 90 days (${iterations} runs each, ms)\n`);
  const names = Object.keys(outcomes[0]!.queries);
  const header = ['query', ...outcomes.flatMap((o) => [`p50 @${o.events}`, `p99 @${o.events}`])];
  process.stdout.write(`${header.join(' | ')}\n`);
  for (const name of names) {
    process.stdout.write(`${[name, ...outcomes.flatMap((o) => [o.queries[name]!.p50.toFixed(2), o.queries[name]!.p99.toFixed(2)])].join(' | ')}\n`);
  }
  for (const o of outcomes) process.stdout.write(`@${o.events}: load + projection ${o.loadSeconds.toFixed(1)} s, ${o.rollupRows} rollup rows\n`);
  if (outcomes.length > 1) {
    const small = outcomes[0]!;
    const large = outcomes.at(-1)!;
    for (const name of names) {
      process.stdout.write(`ratio p99 ${large.events}/${small.events} ${name}: ${(large.queries[name]!.p99 / small.queries[name]!.p99).toFixed(2)}\n`);
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
