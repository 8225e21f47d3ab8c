/**
 * `npm run bench:spend-reactor`: the budgets process's spend reactor alone, on a fresh database — BENCH_BUDGETS
 * (100) budgets of one workspace, shaped as bench:ingest-budgets defines them, then BENCH_EVENTS (40 000)
 * UsageRecorded appended BENCH_CHUNK (500) at a time, each chunk awaited by the reactor (so that its batches are
 * what a live ingest gives it). Prints the reactor's CPU (this process) and its PostgreSQL backends' CPU, in µs
 * per usage event: the figures bench:ingest-budgets prints for "budgets" and "postgres for budgets", without
 * the rest of the stack around them.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { BudgetCounters } from '@steward/budgets';
import { BudgetStreams, budgetEventRegistry, type EventMetadata } from '@steward/contracts';
import { PostgresEventStore, type NewEvent } from '@steward/event-store';
import { ProjectionHost, defineProjection } from '@steward/projections';
import { createTestEnv } from '@steward/testing';
import { recordedData, usageRecordedEvent } from '../libs/usage-metering/src/read-models/chargeback/testing/usage-fixtures';
import { spendReactor } from '../services/budgets/src/spend/spend.reactor';
import { AGENTS, LIMITS, MODELS, PERIODS, THRESHOLDS } from './budget-shapes';
import { appendAndFollow } from './reader-cpu';

const number = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const BUDGETS = number('BENCH_BUDGETS', 100);
const EVENTS = number('BENCH_EVENTS', 40_000);
const CHUNK = number('BENCH_CHUNK', 500);


async function main(): Promise<void> {
  const env = await createTestEnv();
  const redis = new Redis(env.redisUrl);
  const store = new PostgresEventStore({ pool: env.pool, schema: 'steward_events' });
  await store.migrate();
  const organizationId = `org-${randomUUID().slice(0, 8)}`;
  const workspaceId = `ws-${randomUUID().slice(0, 8)}`;
  const at = new Date().toISOString();
  for (let index = 0; index < BUDGETS; index++) {
    const budgetId = `b-${index}-${randomUUID().slice(0, 8)}`;
    const agent = AGENTS[index % AGENTS.length]!;
    const { provider, model } = MODELS[index % MODELS.length]!;
    const scopes = [{}, { agent }, { provider, model }, { agent, provider, model }];
    const data = budgetEventRegistry.validate('BudgetDefined', 1, {
      organizationId, workspaceId, budgetId,
      name: `bench budget ${index}`,
      scope: scopes[index % scopes.length],
      period: PERIODS[index % PERIODS.length],
      timeZone: 'UTC',
      limitUsd: LIMITS[index % LIMITS.length],
      thresholds: THRESHOLDS[(index >> 2) % THRESHOLDS.length],
      enforcement: index % 3 === 0 ? 'block' : 'notify',
      definedBy: 'bench',
      definedAt: at,
    });
    const metadata: EventMetadata = { correlationId: randomUUID(), actor: { type: 'user', id: 'bench' }, organizationId, workspaceId, occurredAt: at };
    await store.append(BudgetStreams.budget(budgetId), [{ eventId: randomUUID(), type: 'BudgetDefined', version: 1, data, metadata }], { expectedRevision: 'no_stream' });
  }
  const reactor = spendReactor({ store, counters: new BudgetCounters({ redis, prefix: env.redisPrefix }) });
  // counted in memory (a status query per poll would cost more than the reactor)
  let handled = 0n;
  let batches = 0;
  /** The process's CPU while the reactor's handle runs (nothing else runs then but its awaits on PostgreSQL and Redis). */
  let handleCpu = 0;
  const counted = defineProjection({
    ...reactor,
    handle: async (trx, events, context) => {
      const before = process.cpuUsage();
      await reactor.handle!(trx, events, context);
      const spent = process.cpuUsage(before);
      handleCpu += (spent.user + spent.system) / 1e6;
      handled += BigInt(events.length);
      batches++;
    },
  });
  const host = new ProjectionHost({
    pool: env.pool,
    store,
    batchSize: 2000,
    projections: [counted],
  });
  await host.start();
  const until = async (count: bigint): Promise<void> => {
    while (handled < count) await new Promise((resolve) => setTimeout(resolve, 2));
  };
  await until(BigInt(BUDGETS));
  const chunks: Array<Array<{ streamId: string; event: NewEvent }>> = [];
  for (let start = 0; start < EVENTS; start += CHUNK) {
    const chunk: Array<{ streamId: string; event: NewEvent }> = [];
    for (let index = start; index < Math.min(EVENTS, start + CHUNK); index++) {
      const model = MODELS[index % MODELS.length]!;
      const item = usageRecordedEvent(recordedData({ organizationId, workspaceId, time: new Date().toISOString(), agent: AGENTS[index % AGENTS.length]!, ...model, cost: `0.00${100 + (index % 900)}` }));
      chunk.push({ streamId: item.streamId, event: { ...item.event, metadata: { ...item.event.metadata, actor: { type: 'api_key', id: 'key-1' } } } });
    }
    chunks.push(chunk);
  }
  const batchesBefore = batches;
  const handleBefore = handleCpu;
  const started = performance.now();
  const spent = await appendAndFollow(env.pool, store, chunks, (appended) => until(BigInt(BUDGETS + appended)));
  const elapsed = performance.now() - started;
  const reactorCpu = spent.reader;
  const pgReactor = spent.postgres;
  console.log(
    `spend reactor: ${EVENTS} usage events in chunks of ${CHUNK}, ${BUDGETS} budgets, ${batches - batchesBefore} batches, ${(elapsed / 1000).toFixed(1)} s; ` +
      `reactor ${((reactorCpu * 1e6) / EVENTS).toFixed(1)} µs/event (its handle ${(((handleCpu - handleBefore) * 1e6) / EVENTS).toFixed(1)}), its PostgreSQL ${((pgReactor * 1e6) / EVENTS).toFixed(1)} µs/event ` +
      `(approximate: the appends' own CPU is left out); load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  );
  await host.stop();
  redis.disconnect();
  // BENCH_KEEP=1: the database stays, to look at its queries
  if (process.env.BENCH_KEEP === '1') console.log(`database kept: ${env.database}`);
  else await env.dispose();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
