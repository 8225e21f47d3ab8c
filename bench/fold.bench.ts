/**
 * `npm run bench:fold`: the store's fold (subscribeToSums, what billing's consumption reactor reads) alone, on a
 * fresh database: BENCH_EVENTS (60 000) UsageRecorded of BENCH_ORGANIZATIONS (3) organizations appended
 * BENCH_CHUNK (2 500, about what billing folds per 200 ms linger at bench:ingest's rates) at a time, and
 * each chunk folded by a projection whose handleSums does nothing. Baseline in the same invocation: the same
 * chunks read by a plain projection (subscribeToAll, data parsed, no metadata) that folds them with foldSums.
 * Prints each reader's CPU and its PostgreSQL backends' CPU, in µs per usage event, and the ratio fold /
 * baseline; BENCH_ROUNDS (2) alternates them (ABBA) and prints the means.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { PostgresEventStore, foldSums, type NewEvent } from '@steward/event-store';
import { ProjectionHost, defineProjection, type ProjectionDefinition } from '@steward/projections';
import { createTestEnv } from '@steward/testing';
import { recordedData, usageRecordedEvent } from '../libs/usage-metering/src/read-models/chargeback/testing/usage-fixtures';
import { AGENTS, MODELS } from './budget-shapes';
import { appendAndFollow } from './reader-cpu';

const number = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const EVENTS = number('BENCH_EVENTS', 60_000);
const CHUNK = number('BENCH_CHUNK', 2_500);
const ORGANIZATIONS = number('BENCH_ORGANIZATIONS', 3);
const ROUNDS = number('BENCH_ROUNDS', 2);

const FOLD = { groupBy: 'organizationId', sum: { UsageRecorded: 'cost', UsageCorrected: 'delta' }, span: 'time' } as const;

interface Measured {
  readonly reader: number;
  readonly postgres: number;
}

async function run(kind: 'fold' | 'parse'): Promise<Measured> {
  const env = await createTestEnv();
  const store = new PostgresEventStore({ pool: env.pool, schema: 'steward_events' });
  await store.migrate();
  let handled = 0;
  let checksum = 0n;
  const projection: ProjectionDefinition =
    kind === 'fold'
      ? defineProjection({
          name: 'bench-fold',
          version: 1,
          streamPrefixes: ['usage-'],
          awaitedByWrites: false,
          fold: FOLD,
          async migrate() {},
          async handleSums(_trx, sums) {
            for (const group of sums.groups) {
              handled += group.count;
              checksum += BigInt(group.sum.replace('.', '').length);
            }
          },
        })
      : defineProjection({
          name: 'bench-parse',
          version: 1,
          streamPrefixes: ['usage-'],
          eventTypes: Object.keys(FOLD.sum),
          awaitedByWrites: false,
          withoutMetadata: true,
          async migrate() {},
          async handle(_trx, events) {
            for (const group of foldSums(events, FOLD)) {
              handled += group.count;
              checksum += BigInt(group.sum.replace('.', '').length);
            }
          },
        });
  const host = new ProjectionHost({ pool: env.pool, store, batchSize: 10_000, projections: [projection] });
  await host.start();
  const organizations = Array.from({ length: ORGANIZATIONS }, () => `org-${randomUUID().slice(0, 8)}`);
  const workspaces = organizations.map(() => `ws-${randomUUID().slice(0, 8)}`);
  const chunks: Array<Array<{ streamId: string; event: NewEvent }>> = [];
  for (let start = 0; start < EVENTS; start += CHUNK) {
    const chunk: Array<{ streamId: string; event: NewEvent }> = [];
    for (let index = start; index < Math.min(EVENTS, start + CHUNK); index++) {
      const which = index % ORGANIZATIONS;
      const model = MODELS[index % MODELS.length]!;
      chunk.push(
        usageRecordedEvent(
          recordedData({ organizationId: organizations[which]!, workspaceId: workspaces[which]!, time: new Date().toISOString(), agent: AGENTS[index % AGENTS.length]!, ...model, cost: `0.00${100 + (index % 900)}` }),
        ),
      );
    }
    chunks.push(chunk);
  }
  const spent = await appendAndFollow(env.pool, store, chunks, async (appended) => {
    while (handled < appended) await new Promise((resolve) => setTimeout(resolve, 2));
  });
  const reader = (spent.reader * 1e6) / EVENTS;
  const postgres = (spent.postgres * 1e6) / EVENTS;
  await host.stop();
  // BENCH_KEEP=1: the database stays, to look at its queries
  if (process.env.BENCH_KEEP === '1') console.log(`database kept: ${env.database}`);
  else await env.dispose();
  if (checksum === 0n) throw new Error('nothing was folded');
  console.log(`${kind.padEnd(5)}  reader ${reader.toFixed(1)} µs/event, its PostgreSQL ${postgres.toFixed(1)} µs/event`);
  return { reader, postgres };
}

async function main(): Promise<void> {
  const order: Array<'fold' | 'parse'> = [];
  for (let round = 0; round < ROUNDS; round++) order.push(...(round % 2 === 0 ? (['parse', 'fold'] as const) : (['fold', 'parse'] as const)));
  const results: Record<'fold' | 'parse', Measured[]> = { fold: [], parse: [] };
  // BENCH_ONLY=fold (or parse): one reader only (to profile it)
  const only = process.env.BENCH_ONLY;
  if (only === 'fold' || only === 'parse') {
    await run(only);
    return;
  }
  for (const kind of order) results[kind].push(await run(kind));
  const mean = (values: Measured[], key: keyof Measured) => values.reduce((sum, value) => sum + value[key], 0) / values.length;
  const fold = { reader: mean(results.fold, 'reader'), postgres: mean(results.fold, 'postgres') };
  const parse = { reader: mean(results.parse, 'reader'), postgres: mean(results.parse, 'postgres') };
  console.log(`\nbench:fold — ${EVENTS} usage events of ${ORGANIZATIONS} organizations, chunks of ${CHUNK}, ${ROUNDS} round(s) (approximate: the appends' own CPU is left out)`);
  console.log(`fold (subscribeToSums)     reader ${fold.reader.toFixed(1)} µs/event, PostgreSQL ${fold.postgres.toFixed(1)} µs/event, total ${(fold.reader + fold.postgres).toFixed(1)}`);
  console.log(`baseline (read + parse)    reader ${parse.reader.toFixed(1)} µs/event, PostgreSQL ${parse.postgres.toFixed(1)} µs/event, total ${(parse.reader + parse.postgres).toFixed(1)}`);
  console.log(`ratio fold / baseline      ${((fold.reader + fold.postgres) / (parse.reader + parse.postgres)).toFixed(3)}   load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  console.log(JSON.stringify({ bench: 'fold', at: new Date().toISOString(), events: EVENTS, chunk: CHUNK, fold, baseline: parse }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
