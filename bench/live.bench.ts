/**
 * `npm run bench:live`: the organization's live stream (GET /v1/organizations/{orgId}/stream, SSE) under
 * the ingest bench's steady usage rate — issue 16's "an event reaches a connected client within 1 s at the
 * ingest bench's steady rate".
 *
 * One fresh stack (bench:ingest's startTarget, billing with room to spend as bench:ingest-billing), one
 * `eventsource` client on the organization's stream as its owner, then two phases of the same changes:
 *
 * 1. Baseline: BENCH_CHANGE_RATE (4) dashboard changes a second for STEADY_SECONDS, no usage — alternately
 *    a workspace created (its WorkspaceCreated message, matched by the workspace id) and promotional
 *    credits granted (its CreditsGranted message, matched by the grant id of the event it names);
 * 2. Loaded: the same changes while bench:ingest's freshness run sends STEADY_RATE (5,000) usage events a
 *    second for STEADY_SECONDS (its batches, every 50 ms). Usage reaches the stream too: the billing
 *    consumption reactor turns it into CreditsConsumed (kind `credits`); per accepted batch, the time from
 *    its 202 to the first CreditsConsumed message whose running total of consumed events covers it.
 *
 * Per change: request sent (open loop, on a schedule) → the matching message received. p50 / p95 / p99 /
 * max, the count, the load average, the ratio loaded / baseline and the target (p99 < 1 s).
 *
 * Options (env or --flag=): BENCH_CHANGE_RATE (4 changes/s), BENCH_STEADY_RATE, BENCH_STEADY_SECONDS (8;
 * more seconds, more changes measured) as bench:ingest. Bounded: every wait has a deadline, and a
 * watchdog (BENCH_LIVE_TIMEOUT_SECONDS, 900) stops the stack and exits. The stack's database goes with it.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { EventSource, type FetchLike } from 'eventsource';
import type pg from 'pg';
import { natsNames } from '@steward/messaging';
import type { Stack } from '@steward/testing';
import { roomToSpend } from './ingest-billing.bench';
import { STEADY_RATE, STEADY_SECONDS, fmt, freshness, option, percentile, startTarget, storeProbe, visibleProbe } from './ingest.bench';

const CHANGE_RATE = option('change-rate', 4);
const CHANGES = Math.max(2, Math.round(CHANGE_RATE * STEADY_SECONDS));
const TIMEOUT_SECONDS = option('live-timeout-seconds', 900);
const TARGET_MS = 1_000;
/** How long a change's message may take before it counts as lost. */
const MATCH_TIMEOUT_MS = 30_000;

const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One message as the client received it (performance.now() on arrival). */
interface Arrival {
  readonly seq: number;
  readonly type: string;
  readonly eventId: string;
  readonly workspaceId: string | null;
  readonly at: number;
}

/** An `eventsource` client on the stream, with the owner's bearer token on each (re)connection. */
class StreamClient {
  readonly arrivals: Arrival[] = [];
  readonly statuses: number[] = [];
  errors = 0;
  private readonly source: EventSource;

  constructor(url: string, token: string) {
    const authorized: FetchLike = async (input, init) => {
      const response = await fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${token}` } });
      this.statuses.push(response.status);
      return response;
    };
    this.source = new EventSource(url, { fetch: authorized });
    this.source.onmessage = (event) => {
      const at = performance.now();
      const data = JSON.parse(event.data as string) as { type: string; eventId: string; workspaceId: string | null };
      this.arrivals.push({ seq: Number(event.lastEventId), type: data.type, eventId: data.eventId, workspaceId: data.workspaceId, at });
    };
    this.source.onerror = () => {
      this.errors++;
    };
  }

  async opened(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.source.readyState !== this.source.OPEN) {
      if (Date.now() > deadline) throw new Error(`the stream did not open (statuses ${this.statuses.join(', ') || 'none'})`);
      await sleep(20);
    }
  }

  close(): void {
    this.source.close();
  }
}

/** The stored data and position of the events messages name (looked up after the fact: never on the clock). */
class EventData {
  private readonly known = new Map<string, { position: number; recordedAt: number; data: Record<string, unknown> }>();

  constructor(private readonly pool: pg.Pool) {}

  async load(eventIds: readonly string[]): Promise<void> {
    const missing = [...new Set(eventIds.filter((id) => !this.known.has(id)))];
    if (missing.length === 0) return;
    const { rows } = await this.pool.query<{ event_id: string; global_position: string; recorded_ms: string; data: Record<string, unknown> }>(
      `SELECT event_id::text, global_position::text, (extract(epoch FROM recorded_at) * 1000)::text AS recorded_ms, data
         FROM steward_events.events WHERE event_id = ANY($1::uuid[])`,
      [missing],
    );
    for (const row of rows) this.known.set(row.event_id, { position: Number(row.global_position), recordedAt: Number(row.recorded_ms), data: row.data });
  }

  get(eventId: string): { position: number; recordedAt: number; data: Record<string, unknown> } | undefined {
    return this.known.get(eventId);
  }
}

interface Change {
  readonly kind: 'workspace' | 'credits';
  readonly sent: number;
  /** The workspace's id or the grant's id from the 201. */
  key?: string;
  failed?: string;
  latency?: number;
  /** Sent → the event's recorded_at (the store's clock, this machine's): the write path's share. */
  toStore?: number;
  /** Sent → the event's time in the JetStream events stream (the relay's publication). */
  toPublish?: number;
  /** The matched message's id (its JetStream sequence). */
  seq?: number;
  /** Answers 503 (stored, read models behind) or 429 before the 201, each resent with the same Idempotency-Key. */
  resent: number;
}

interface Api {
  readonly url: string;
  readonly token: string;
  readonly organizationId: string;
}

/**
 * A change as a careful client makes it: with an Idempotency-Key, resent with the same key on a 503 (the
 * change is stored, the read models do not show it yet) or a 429, until its 201 (bounded) — which names the
 * workspace or the grant the stream's message is matched with. The change counts from its first send.
 */
async function post(api: Api, path: string, body: unknown, change: Change): Promise<Record<string, unknown>> {
  const key = randomUUID();
  const deadline = Date.now() + MATCH_TIMEOUT_MS;
  for (;;) {
    const response = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status === 201) return JSON.parse(text) as Record<string, unknown>;
    if ((response.status === 503 || response.status === 429) && Date.now() < deadline) {
      change.resent++;
      await sleep(Number(response.headers.get('retry-after') ?? 1) * 1000);
      continue;
    }
    throw new Error(`POST ${path} answered ${response.status}: ${text.slice(0, 200)}`);
  }
}

/** CHANGES changes at CHANGE_RATE, open loop (each sent on its schedule, whatever the earlier ones' answers). */
async function makeChanges(api: Api, label: string): Promise<Change[]> {
  const changes: Change[] = [];
  const requests: Promise<void>[] = [];
  const started = performance.now();
  for (let index = 0; index < CHANGES; index++) {
    const wait = started + (index * 1000) / CHANGE_RATE - performance.now();
    if (wait > 0) await sleep(wait);
    const change: Change = { kind: index % 2 === 0 ? 'workspace' : 'credits', sent: performance.now(), resent: 0 };
    changes.push(change);
    const request =
      change.kind === 'workspace'
        ? post(api, `/v1/organizations/${api.organizationId}/workspaces`, { name: `live ${label} ${index} ${randomUUID().slice(0, 6)}` }, change).then((body) => {
            change.key = String(body.id);
          })
        : post(api, `/v1/organizations/${api.organizationId}/billing/credits`, { credits: '1', kind: 'promotional' }, change).then((body) => {
            change.key = String(body.grantId);
          });
    requests.push(request.catch((error: unknown) => void (change.failed = (error as Error).message)));
  }
  await Promise.all(requests);
  return changes;
}

/** Each change's message: WorkspaceCreated of its workspace, CreditsGranted of its grant; waits (bounded) for the last. */
async function match(changes: readonly Change[], client: StreamClient, events: EventData): Promise<void> {
  const deadline = Date.now() + MATCH_TIMEOUT_MS;
  for (;;) {
    await events.load(client.arrivals.filter((arrival) => arrival.type === 'CreditsGranted' || arrival.type === 'WorkspaceCreated').map((arrival) => arrival.eventId));
    for (const change of changes) {
      if (change.latency !== undefined || change.key === undefined) continue;
      const arrival =
        change.kind === 'workspace'
          ? client.arrivals.find((candidate) => candidate.type === 'WorkspaceCreated' && candidate.workspaceId === change.key)
          : client.arrivals.find((candidate) => candidate.type === 'CreditsGranted' && events.get(candidate.eventId)?.data.grantId === change.key);
      if (arrival) {
        change.latency = arrival.at - change.sent;
        change.seq = arrival.seq;
        const recordedAt = events.get(arrival.eventId)?.recordedAt;
        if (recordedAt !== undefined) change.toStore = recordedAt - (performance.timeOrigin + change.sent);
      }
    }
    if (changes.every((change) => change.latency !== undefined || change.key === undefined) || Date.now() > deadline) return;
    await sleep(100);
  }
}

interface Summary {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

function summary(latencies: readonly number[]): Summary {
  const sorted = [...latencies].sort((left, right) => left - right);
  return { count: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
}

interface Phase {
  readonly changes: Summary;
  /** Sent → stored, stored → published on NATS, published → received. */
  readonly toStore: Summary;
  readonly toNats: Summary;
  readonly toClient: Summary;
  readonly resent: number;
  readonly lost: number;
  readonly failed: string[];
  readonly load: { before: string; after: string };
}

function phaseOf(changes: readonly Change[], load: { before: string; after: string }): Phase {
  return {
    changes: summary(changes.flatMap((change) => (change.latency === undefined ? [] : [change.latency]))),
    toStore: summary(changes.flatMap((change) => (change.toStore === undefined ? [] : [change.toStore]))),
    toNats: summary(changes.flatMap((change) => (change.toPublish === undefined || change.toStore === undefined ? [] : [change.toPublish - change.toStore]))),
    toClient: summary(changes.flatMap((change) => (change.latency === undefined || change.toPublish === undefined ? [] : [change.latency - change.toPublish]))),
    resent: changes.reduce((total, change) => total + change.resent, 0),
    lost: changes.filter((change) => change.key !== undefined && change.latency === undefined).length,
    failed: changes.flatMap((change) => (change.failed ? [change.failed] : [])),
    load,
  };
}

/** When each matched message's event entered the JetStream events stream (its stored time there), after the run. */
async function publishedTimes(nats: { url: string; prefix: string }, changes: readonly Change[]): Promise<void> {
  const connection = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(connection);
    const stream = natsNames(nats.prefix).eventsStream;
    for (const change of changes) {
      if (change.seq === undefined) continue;
      const stored = await jsm.streams.getMessage(stream, { seq: change.seq }).catch(() => null);
      if (stored) change.toPublish = stored.time.getTime() - (performance.timeOrigin + change.sent);
    }
  } finally {
    await connection.close();
  }
}

/** Usage events the consumption reactor has turned into CreditsConsumed (stored), and the last one's position. */
async function consumed(pool: pg.Pool, organizationId: string): Promise<{ events: number; through: number }> {
  const { rows } = await pool.query<{ events: string; through: string }>(
    `SELECT coalesce(sum((data->'source'->>'events')::bigint), 0)::text AS events, coalesce(max(global_position), 0)::text AS through
       FROM steward_events.events WHERE event_type = 'CreditsConsumed' AND data->>'organizationId' = $1`,
    [organizationId],
  );
  return { events: Number(rows[0]?.events ?? 0), through: Number(rows[0]?.through ?? 0) };
}

/** Per accepted batch: 202 → the first CreditsConsumed message (after `through`) whose running total of events covers it. */
async function usageLatencies(
  accepted: ReadonlyArray<{ cumulative: number; at: number }>,
  client: StreamClient,
  events: EventData,
  through: number,
): Promise<{ latencies: number[]; messages: number; covered: number }> {
  const arrivals = client.arrivals.filter((arrival) => arrival.type === 'CreditsConsumed');
  await events.load(arrivals.map((arrival) => arrival.eventId));
  let total = 0;
  const covering: Array<{ total: number; at: number }> = [];
  for (const arrival of arrivals) {
    const stored = events.get(arrival.eventId);
    if (!stored || stored.position <= through) continue;
    total += Number((stored.data.source as { events?: number } | undefined)?.events ?? 0);
    covering.push({ total, at: arrival.at });
  }
  const latencies: number[] = [];
  let cursor = 0;
  for (const batch of accepted) {
    while (cursor < covering.length && (covering[cursor]?.total ?? 0) < batch.cumulative) cursor++;
    const first = covering[cursor];
    if (!first) break;
    latencies.push(first.at - batch.at);
  }
  return { latencies, messages: covering.length, covered: total };
}

/** A summary for the JSON line: whole milliseconds. */
const rounded = (result: Summary): Record<string, number | null> =>
  Object.fromEntries(Object.entries(result).map(([name, value]) => [name, Number.isFinite(value) ? Math.round(value) : null]));

const verdict = (value: number): string => (Number.isNaN(value) ? 'n/a' : value < TARGET_MS ? 'met' : 'MISSED');
const line = (name: string, result: Summary): string =>
  `${name.padEnd(36)}p50 ${fmt(result.p50).padStart(5)}  p95 ${fmt(result.p95).padStart(5)}  p99 ${fmt(result.p99).padStart(5)}  max ${fmt(result.max).padStart(5)} ms  (${result.count})`;

async function main(): Promise<void> {
  let ownerToken = '';
  let url = '';
  let nats = { url: '', prefix: '' };
  process.stderr.write('starting the stack…\n');
  const target = await startTarget({
    prepare: async (stack: Stack) => {
      ownerToken = stack.ownerToken;
      nats = { url: stack.childEnv.NATS_URL ?? '', prefix: stack.childEnv.NATS_PREFIX ?? '' };
      url = stack.url;
      await roomToSpend(stack);
    },
  });
  let client: StreamClient | undefined;
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench:live: still running after ${TIMEOUT_SECONDS} s: stopping the stack\n`);
    client?.close();
    void target.stop().finally(() => process.exit(2));
  }, TIMEOUT_SECONDS * 1000);
  watchdog.unref();
  try {
    const organizationId = target.organizationId;
    if (!organizationId || !ownerToken) throw new Error('bench:live needs a fresh stack (BENCH_URL is not supported: it needs the owner and the organization)');
    const api: Api = { url, token: ownerToken, organizationId };
    const events = new EventData(target.pool);
    client = new StreamClient(`${url}/v1/organizations/${organizationId}/stream`, ownerToken);
    await client.opened();

    process.stderr.write(`baseline: ${CHANGES} changes at ${CHANGE_RATE}/s, no usage…\n`);
    const baselineBefore = loadAverage();
    const baselineChanges = await makeChanges(api, 'baseline');
    await match(baselineChanges, client, events);
    await publishedTimes(nats, baselineChanges);
    const baseline = phaseOf(baselineChanges, { before: baselineBefore, after: loadAverage() });

    // the consumption reactor has caught up with the usage sent so far (the warm-up calls): what the run adds is counted after it
    const store = storeProbe(target.pool, target.workspaceId);
    const caughtUpBy = Date.now() + 60_000;
    while ((await consumed(target.pool, organizationId)).events < (await store()) && Date.now() < caughtUpBy) await sleep(100);
    const before = await consumed(target.pool, organizationId);

    process.stderr.write(`loaded: the same changes while ${STEADY_RATE} usage events/s flow for ${STEADY_SECONDS} s…\n`);
    const probe = await visibleProbe(target.pool, target.workspaceId);
    const loadedBefore = loadAverage();
    const [loadedChanges, fresh] = await Promise.all([
      makeChanges(api, 'loaded'),
      freshness(target, probe.read, await probe.read(), { read: store, base: await store() }),
    ]);
    const loadedAfter = loadAverage();
    await match(loadedChanges, client, events);
    await publishedTimes(nats, loadedChanges);
    const loaded = phaseOf(loadedChanges, { before: loadedBefore, after: loadedAfter });
    // the last batches' CreditsConsumed (bounded)
    const sent = fresh.accepted.at(-1)?.cumulative ?? 0;
    const usageBy = Date.now() + MATCH_TIMEOUT_MS;
    let usage = await usageLatencies(fresh.accepted, client, events, before.through);
    while (usage.covered < sent && Date.now() < usageBy) {
      await sleep(200);
      usage = await usageLatencies(fresh.accepted, client, events, before.through);
    }
    const usageSummary = summary(usage.latencies);

    const ratio = (value: number, base: number): string => (Number.isFinite(value) && Number.isFinite(base) && base > 0 ? (value / base).toFixed(2) : 'n/a');
    console.log(`\nbench:live — the organization's SSE stream (eventsource client, owner) under the ingest bench's steady rate (indicative: shared machine)`);
    console.log(`changes                           ${CHANGES} per phase at ${CHANGE_RATE}/s, open loop: workspace created (WorkspaceCreated) / credits granted (CreditsGranted), alternately`);
    console.log(`usage (loaded phase)              ${STEADY_RATE} ev/s asked for ${STEADY_SECONDS} s, ${fmt(fresh.achieved)} ev/s sent, ${fresh.batches} batches of ${fresh.perTick}; accepted → visible in chargeback p50 ${fmt(fresh.p50)} ms, p99 ${fmt(fresh.p99)} ms`);
    console.log('request sent → message received:');
    console.log(`  ${line('baseline, no usage', baseline.changes)}   load ${baseline.load.before} → ${baseline.load.after}`);
    console.log(`  ${line('under usage', loaded.changes)}   load ${loaded.load.before} → ${loaded.load.after}`);
    for (const [name, phase] of [['baseline', baseline], ['under usage', loaded]] as const) {
      console.log(`  ${line('  sent → stored (command, append)', phase.toStore)}   ${name}`);
      console.log(`  ${line('  stored → on NATS (relay)', phase.toNats)}   ${name}`);
      console.log(`  ${line('  on NATS → received (hub, SSE)', phase.toClient)}   ${name}`);
    }
    console.log(`  resent after 503 / 429 (same Idempotency-Key): baseline ${baseline.resent}, under usage ${loaded.resent}`);
    console.log(`  ratio under usage / baseline        p50 ${ratio(loaded.changes.p50, baseline.changes.p50)}, p99 ${ratio(loaded.changes.p99, baseline.changes.p99)}`);
    console.log(`batch accepted (202) → first CreditsConsumed message covering it (${usage.messages} messages, ${usage.covered} of ${sent} events covered):`);
    console.log(`  ${line('under usage', usageSummary)}`);
    for (const [name, phase] of [['baseline', baseline], ['under usage', loaded]] as const) {
      if (phase.lost > 0 || phase.failed.length > 0) console.log(`  ${name}: ${phase.lost} changes without their message within ${MATCH_TIMEOUT_MS / 1000} s; ${phase.failed.length} requests failed${phase.failed[0] ? ` (${phase.failed[0]})` : ''}`);
    }
    console.log(`stream                            ${client.arrivals.length} messages received, ${client.errors} errors / reconnections (statuses ${client.statuses.join(', ')})`);
    const worst = Math.max(loaded.changes.p99, Number.isNaN(usageSummary.p99) ? 0 : usageSummary.p99);
    const complete = loaded.lost === 0 && loaded.failed.length === 0 && baseline.lost === 0 && baseline.failed.length === 0 && loaded.changes.count > 0;
    console.log(`target: p99 < ${TARGET_MS} ms under usage   changes ${verdict(loaded.changes.p99)}, usage → stream ${verdict(usageSummary.p99)}   ${complete && worst < TARGET_MS ? 'met' : 'MISSED'}`);
    console.log(
      JSON.stringify({
        bench: 'live',
        at: new Date().toISOString(),
        changeRate: CHANGE_RATE,
        changes: CHANGES,
        steadyRate: STEADY_RATE,
        steadySeconds: STEADY_SECONDS,
        baseline: { ...rounded(baseline.changes), lost: baseline.lost, resent: baseline.resent, storedToNatsP99: rounded(baseline.toNats).p99, natsToReceivedP99: rounded(baseline.toClient).p99, load: baseline.load },
        loaded: { ...rounded(loaded.changes), lost: loaded.lost, resent: loaded.resent, storedToNatsP99: rounded(loaded.toNats).p99, natsToReceivedP99: rounded(loaded.toClient).p99, load: loaded.load },
        usage: { ...rounded(usageSummary), messages: usage.messages },
        visibleP99: Math.round(fresh.p99),
      }),
    );
    if (!complete) process.exitCode = 1;
  } finally {
    clearTimeout(watchdog);
    client?.close();
    await target.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
