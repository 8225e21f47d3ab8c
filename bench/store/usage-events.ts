import type { EventMetadata } from '@steward/contracts';

/** The data of a `UsageRecorded` v1 event as an agent reports it (DESIGN §6). */
export interface UsageRecordedData {
  readonly usageId: string;
  readonly source: string;
  readonly occurredAt: string;
  readonly workspaceId: string;
  readonly agentId: string;
  readonly provider: string;
  readonly model: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheCreationInputTokens: number;
  readonly reasoningOutputTokens: number;
  readonly responseTimeMs: number;
  readonly status: 'success' | 'error';
  readonly jobId?: string;
  readonly budgetReservationId?: string;
  readonly requestId: string;
}

/** One event of the data set, in the shape every contender appends. */
export interface UsageEvent {
  readonly streamId: string;
  readonly eventId: string;
  readonly type: 'UsageRecorded';
  readonly version: 1;
  readonly data: UsageRecordedData;
  readonly metadata: EventMetadata;
}

export interface UsageDataSetOptions {
  /** Distinguishes data sets: the same seed gives byte-identical events (and ids) in every process. */
  readonly seed: string;
  readonly count: number;
  /** Events per append call (the ingest batch). */
  readonly batchSize: number;
  /** Distinct streams in the data set: workspace × agent. */
  readonly streams: number;
  /** Streams one batch touches (a rotating window over all streams). */
  readonly streamsPerBatch: number;
  /** Prefix of every stream id (`usage` for the main data set). */
  readonly streamPrefix: string;
}

const WORKSPACES = 20;
const ORGANIZATIONS = 4;
const START_MS = Date.parse('2026-11-01T00:00:00.000Z');
/** Events are spread over this many hours, in time order, as an ingest stream is. */
const SPAN_HOURS = 24 * 7;

const MODELS: ReadonlyArray<readonly [provider: string, model: string]> = [
  ['anthropic', 'claude-sonnet-4-5-20250929'],
  ['anthropic', 'claude-haiku-4-5-20251001'],
  ['openai', 'gpt-5-2025-08-07'],
  ['openai', 'gpt-5-mini-2025-08-07'],
  ['openai', 'gpt-4.1-2025-04-14'],
  ['google', 'gemini-2.5-pro'],
  ['google', 'gemini-2.5-flash'],
  ['mistral', 'mistral-large-2411'],
];

/** mulberry32, seeded from a string: fast, deterministic, good enough for test data. */
function random(seed: string): () => number {
  let state = 0x9e3779b9;
  for (let i = 0; i < seed.length; i += 1) state = Math.imul(state ^ seed.charCodeAt(i), 0x85ebca6b) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Eight random hex digits. */
function word(next: () => number): string {
  const x = Math.floor(next() * 4294967296);
  return HEX[x >>> 24]! + HEX[(x >>> 16) & 255]! + HEX[(x >>> 8) & 255]! + HEX[x & 255]!;
}

/** A version 4 UUID from the seeded generator. */
function uuid(next: () => number): string {
  const a = word(next);
  const b = word(next);
  const c = word(next);
  const d = word(next);
  const variant = '89ab'[Math.floor(next() * 4)]!;
  return `${a}-${b.slice(0, 4)}-4${b.slice(5)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
}

function between(next: () => number, low: number, high: number): number {
  return low + Math.floor(next() * (high - low + 1));
}

function workspaceId(index: number): string {
  return `ws_${(index + 1).toString().padStart(3, '0')}f3c2a91d`;
}

function organizationId(workspace: number): string {
  return `org_${((workspace % ORGANIZATIONS) + 1).toString().padStart(3, '0')}c19e8b`;
}

/**
 * The realistic usage data set: `count` events in batches of `batchSize`, each
 * batch spread evenly over `streamsPerBatch` streams (`<prefix>-<workspace>-<agent>`),
 * the window rotating so that every stream grows over the run. Times increase
 * through the run (one week), so an hourly rollup sees a few hours per page.
 */
export function usageDataSet(options: UsageDataSetOptions): UsageEvent[] {
  const { seed, count, batchSize, streams, streamsPerBatch, streamPrefix } = options;
  const next = random(seed);
  const agentsPerWorkspace = Math.max(1, Math.ceil(streams / WORKSPACES));
  const events: UsageEvent[] = [];
  for (let i = 0; i < count; i += 1) {
    const batch = Math.floor(i / batchSize);
    const stream = (batch * streamsPerBatch + (i % streamsPerBatch)) % streams;
    const workspace = stream % WORKSPACES;
    const agent = Math.floor(stream / WORKSPACES) % agentsPerWorkspace;
    const [provider, model] = MODELS[between(next, 0, MODELS.length - 1)]!;
    const occurredAt = new Date(START_MS + Math.floor((i / count) * SPAN_HOURS * 3_600_000)).toISOString();
    const inputTokens = between(next, 200, 24_000);
    const cacheReadInputTokens = next() < 0.4 ? between(next, 0, inputTokens) : 0;
    const error = next() < 0.02;
    const ws = workspaceId(workspace);
    const org = organizationId(workspace);
    const agentId = `agent_${(agent + 1).toString().padStart(3, '0')}`;
    events.push({
      streamId: `${streamPrefix}-${ws}-${agentId}`,
      eventId: uuid(next),
      type: 'UsageRecorded',
      version: 1,
      data: {
        usageId: uuid(next),
        source: 'api',
        occurredAt,
        workspaceId: ws,
        agentId,
        provider,
        model,
        inputTokens,
        outputTokens: error ? 0 : between(next, 20, 4_000),
        cacheReadInputTokens,
        cacheCreationInputTokens: next() < 0.1 ? between(next, 0, 4_000) : 0,
        reasoningOutputTokens: next() < 0.3 ? between(next, 0, 2_000) : 0,
        responseTimeMs: between(next, 180, 45_000),
        status: error ? 'error' : 'success',
        ...(next() < 0.6 ? { jobId: uuid(next) } : {}),
        ...(next() < 0.2 ? { budgetReservationId: uuid(next) } : {}),
        requestId: `req_${word(next)}${word(next)}${word(next)}`,
      },
      metadata: {
        correlationId: uuid(next),
        actor: { type: 'api_key', id: `key_${ws.slice(3, 6)}${(agent + 1).toString().padStart(3, '0')}a8` },
        organizationId: org,
        workspaceId: ws,
        occurredAt,
      },
    });
  }
  return events;
}

/** Cuts the data set into its ingest batches. */
export function batchesOf<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}

/** Groups one batch by stream, keeping each stream's events in order. */
export function groupByStream(batch: readonly UsageEvent[]): Map<string, UsageEvent[]> {
  const groups = new Map<string, UsageEvent[]>();
  for (const event of batch) {
    const group = groups.get(event.streamId);
    if (group) group.push(event);
    else groups.set(event.streamId, [event]);
  }
  return groups;
}

/** Sums the tokens of events: what the rollup must hold after a replay. */
export interface UsageTotals {
  events: number;
  inputTokens: number;
  outputTokens: number;
}

export function totalsOf(events: Iterable<UsageEvent>): UsageTotals {
  const totals: UsageTotals = { events: 0, inputTokens: 0, outputTokens: 0 };
  for (const event of events) {
    totals.events += 1;
    totals.inputTokens += event.data.inputTokens;
    totals.outputTokens += event.data.outputTokens;
  }
  return totals;
}

/** Average JSON sizes of data and metadata, to show that the payload is usage-sized. */
export function averagePayloadBytes(events: readonly UsageEvent[]): { data: number; metadata: number } {
  const sample = events.slice(0, 1000);
  if (sample.length === 0) return { data: 0, metadata: 0 };
  let data = 0;
  let metadata = 0;
  for (const event of sample) {
    data += Buffer.byteLength(JSON.stringify(event.data));
    metadata += Buffer.byteLength(JSON.stringify(event.metadata));
  }
  return { data: Math.round(data / sample.length), metadata: Math.round(metadata / sample.length) };
}
