/**
 * `npm run bench:metering`: usage-metering alone — N batches of 1,000 usage events published on NATS
 * (the ingest stream), the real metering process (services/usage-metering/src/main.ts) as a child, timed
 * until every batch is acknowledged, i.e. its UsageRecorded events are in the PostgreSQL event store.
 * A share of the events is sent twice (in other batches) to exercise the dedup.
 *
 * Environment: BENCH_BATCHES (default 60), BENCH_BATCH_SIZE (default 1000), BENCH_DUPLICATE_SHARE
 * (default 0.05), METERING_CONCURRENCY / METERING_MAX_BATCH / METERING_APPEND_CHUNK (passed on).
 * Uses its own database and NATS prefix on the local servers; drops them afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { headers as natsHeaders } from '@nats-io/nats-core';
import type { UsageEventInput, UsageIngestBatchInput } from '@steward/contracts';
import { PostgresEventStore } from '@steward/event-store';
import { connectNats, ensureUsageIngestStream, usageIngestNames } from '@steward/messaging';
import { decodeUsageBatch } from '../services/usage-metering/src/metering/usage-batch.codec';
import { usageRecordedRequests } from '../services/usage-metering/src/metering/usage-recorded.builder';
import { Pricer } from '@steward/usage-metering';
import { removeNatsStreams, services, withDatabase } from '@steward/testing';

const ROOT = path.resolve(__dirname, '..');
const MAIN = path.join(ROOT, 'services/usage-metering/src/main.ts');
const BATCHES = Number(process.env.BENCH_BATCHES ?? 60);
const SIZE = Number(process.env.BENCH_BATCH_SIZE ?? 1000);
const DUPLICATE_SHARE = Number(process.env.BENCH_DUPLICATE_SHARE ?? 0.05);
const MODELS = [
  ['openai', 'gpt-4o'],
  ['openai', 'gpt-4o-mini'],
  ['anthropic', 'claude-3-5-sonnet-20240620'],
  ['openai', 'o1'],
  ['acme', 'acme-llm-1'],
] as const;

function makeBatches(): { batches: UsageIngestBatchInput[]; distinct: number } {
  const workspaces = ['ws-bench-1', 'ws-bench-2', 'ws-bench-3'];
  const batches: UsageIngestBatchInput[] = [];
  const sent = new Map<string, UsageEventInput[]>(workspaces.map((ws) => [ws, []]));
  const start = Date.parse('2026-03-01T00:00:00Z');
  let distinct = 0;
  for (let b = 0; b < BATCHES; b++) {
    const workspaceId = workspaces[b % workspaces.length]!;
    // Resent calls are the workspace's own (the same call in another workspace is another call).
    const earlier = sent.get(workspaceId)!;
    const events: UsageEventInput[] = [];
    for (let i = 0; i < SIZE; i++) {
      if (earlier.length > 0 && Math.random() < DUPLICATE_SHARE) {
        events.push(earlier[Math.floor(Math.random() * earlier.length)]!);
        continue;
      }
      const [provider, model] = MODELS[(b * SIZE + i) % MODELS.length]!;
      const input = 200 + ((i * 37) % 5000);
      const event: UsageEventInput = {
        id: randomUUID(),
        source: 'bench-agent',
        time: new Date(start + (b * SIZE + i) * 7_000).toISOString(),
        agent: `agent-${i % 8}`,
        provider,
        model,
        inputTokens: input,
        cacheReadInputTokens: Math.floor(input / 4),
        outputTokens: 50 + (i % 900),
        reasoningOutputTokens: model === 'o1' ? 20 : 0,
        responseTimeMs: 300 + (i % 2000),
      };
      events.push(event);
      earlier.push(event);
      distinct += 1;
    }
    // A duplicate within one batch is fine; the store keeps the first.
    batches.push({
      batchId: randomUUID(),
      workspaceId,
      organizationId: 'org-bench',
      receivedAt: new Date().toISOString(),
      via: 'nats',
      actor: 'service:bench',
      events,
    });
  }
  return { batches, distinct };
}

/** User + system CPU seconds of a process (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

async function main(): Promise<void> {
  const id = randomBytes(4).toString('hex');
  const database = `bench_metering_${id}`;
  const prefix = `benchmeter${id}`;
  const admin = new pg.Client({ connectionString: services.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}" TEMPLATE template0`);
  await admin.end();
  const databaseUrl = withDatabase(services.databaseUrl, database);
  const nats = await connectNats({ servers: services.natsUrl, name: 'bench-metering' });
  let child: ChildProcess | undefined;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  try {
    await ensureUsageIngestStream(nats.jsm, { prefix });
    const names = usageIngestNames(prefix);
    const { batches, distinct } = makeBatches();
    const payloads = batches.map((batch) => JSON.stringify(batch));
    const bytes = payloads.reduce((n, p) => n + p.length, 0);
    console.log(`${BATCHES} batches × ${SIZE} events (${distinct} distinct, ${(bytes / BATCHES / 1024).toFixed(0)} KiB per batch)`);

    // STEWARD_STACK_NODE_ARGS: extra node flags for the metering process (e.g. `--cpu-prof --cpu-prof-dir=…`), as for the stack
    const nodeArgs = (process.env.STEWARD_STACK_NODE_ARGS ?? '').split(' ').filter(Boolean);
    child = spawn(process.execPath, [...nodeArgs, '-r', '@swc-node/register', MAIN], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, NATS_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 60_000;
    while (!output.includes('usage-metering started')) {
      if (Date.now() > deadline) throw new Error(`metering did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }

    const cpuBefore = cpuSeconds(child.pid!);
    const started = performance.now();
    for (let b = 0; b < batches.length; b++) {
      const headers = natsHeaders();
      await nats.js.publish(names.workspaceSubject(batches[b]!.workspaceId), payloads[b]!, { msgID: batches[b]!.batchId, headers });
    }
    const published = performance.now();
    for (;;) {
      const info = await nats.jsm.streams.info(names.stream);
      if (info.state.messages === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const finished = performance.now();
    const cpu = cpuSeconds(child.pid!) - cpuBefore;
    const { rows } = await pool.query<{ n: number; ids: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS ids FROM steward_events.events WHERE event_type = 'UsageRecorded'`,
    );
    const seconds = (finished - started) / 1000;
    console.log(`published in ${((published - started) / 1000).toFixed(2)} s; all metered after ${seconds.toFixed(2)} s`);
    console.log(`recorded ${rows[0]!.n} UsageRecorded (${rows[0]!.ids} distinct ids; expected ${distinct})`);
    console.log(`metering throughput: ${Math.round((BATCHES * SIZE) / seconds)} events/s sent, ${Math.round(distinct / seconds)} distinct events/s recorded`);
    console.log(
      `metering process CPU: ${cpu.toFixed(2)} s (${((cpu * 1e6) / (BATCHES * SIZE)).toFixed(1)} µs per event sent); load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    );
    if (rows[0]!.n !== distinct || rows[0]!.ids !== distinct) process.exitCode = 1;

    // The store's share: the same kind of events appended with appendNew from here, no NATS, 10,000 per call.
    const store = new PostgresEventStore({ pool });
    const pricer = new Pricer();
    const fresh = makeBatches().batches.slice(0, Math.min(20, BATCHES));
    const requests = [];
    for (let i = 0; i < fresh.length; i += 10) {
      const toRecord = [];
      for (const input of fresh.slice(i, i + 10)) {
        const batch = decodeUsageBatch(new TextEncoder().encode(JSON.stringify(input)));
        toRecord.push({ batch, organizationId: 'org-bench', priced: await pricer.priceMany(batch.workspaceId, batch.events) });
      }
      requests.push(usageRecordedRequests(toRecord));
    }
    const appendStarted = performance.now();
    let written = 0;
    for (const group of requests) written += (await store.appendNew(group)).written;
    const appendSeconds = (performance.now() - appendStarted) / 1000;
    console.log(`appendNew alone (same process, 10 batches per call): ${written} events in ${appendSeconds.toFixed(2)} s = ${Math.round(written / appendSeconds)} events/s`);
    await store.close();
  } finally {
    child?.kill('SIGTERM');
    if (child) await new Promise((resolve) => child!.once('exit', resolve));
    await pool.end();
    await nats.close();
    await removeNatsStreams(prefix);
    const cleanup = new pg.Client({ connectionString: services.databaseUrl });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await cleanup.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
