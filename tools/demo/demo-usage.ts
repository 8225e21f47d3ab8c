/**
 * The demo's usage, generated deterministically: the same anchor gives the same events (ids, times,
 * tokens) on every run, so the ingest's deduplication by (workspace, source, id) records a second run's
 * events as nothing new. Pure: no clock, no randomness but a PRNG seeded from the event's day.
 */
import { createHash } from 'node:crypto';
import type { RecordedUsage } from '@steward/sdk';

export const DEMO_USAGE_SOURCE = 'steward-demo';

export interface DemoModel {
  readonly provider: string;
  readonly model: string;
  /** Relative share of calls. */
  readonly weight: number;
  /** Typical input and output tokens per call. */
  readonly input: number;
  readonly output: number;
  /** Typical response time in ms. */
  readonly latencyMs: number;
  /** Part of the input read from a cache (0–1). */
  readonly cacheShare?: number;
  /** Part of the output that is reasoning (0–1). */
  readonly reasoningShare?: number;
}

/**
 * Six models over four providers. gpt-4.1 and mistral-large-latest get workspace prices from the loader
 * (a negotiated discount; a model the catalogue does not know); the others are priced by the catalogue.
 */
export const DEMO_MODELS: readonly DemoModel[] = [
  { provider: 'openai', model: 'gpt-4.1', weight: 22, input: 2400, output: 520, latencyMs: 2100, cacheShare: 0.3 },
  { provider: 'openai', model: 'gpt-4.1-mini', weight: 30, input: 1300, output: 260, latencyMs: 900 },
  { provider: 'anthropic', model: 'claude-sonnet-4-5-20250929', weight: 18, input: 3100, output: 700, latencyMs: 2800, cacheShare: 0.45 },
  { provider: 'anthropic', model: 'claude-haiku-4-5-20251001', weight: 14, input: 1100, output: 240, latencyMs: 700 },
  { provider: 'google', model: 'gemini-2.5-flash', weight: 10, input: 1800, output: 380, latencyMs: 1100, reasoningShare: 0.25 },
  { provider: 'mistral', model: 'mistral-large-latest', weight: 6, input: 1500, output: 420, latencyMs: 1600 },
];

/** Five agents, each with the models it calls most (indexes into DEMO_MODELS) and its share of the traffic. */
export const DEMO_AGENTS: ReadonlyArray<{ readonly name: string; readonly weight: number; readonly models: readonly number[] }> = [
  { name: 'support-assistant', weight: 30, models: [1, 3, 0] },
  { name: 'code-reviewer', weight: 22, models: [2, 0] },
  { name: 'research-analyst', weight: 18, models: [2, 4, 0] },
  { name: 'sales-copilot', weight: 16, models: [1, 5, 3] },
  { name: 'data-pipeline-bot', weight: 14, models: [4, 1, 5] },
];

const ERROR_TYPES = ['rate_limit_exceeded', 'timeout', 'server_error', 'context_length_exceeded'] as const;

export interface DemoUsageOptions {
  /** The end of the demo's history (its last call is before it): the demo organization's creation time. */
  readonly anchor: Date;
  /** Days of history before the anchor. Default 90. */
  readonly days?: number;
  /** Calls on an average working day. Default 380. */
  readonly callsPerWorkingDay?: number;
  /** The UTC offset (hours) of the team's working hours. Default −5 (New York in winter). */
  readonly utcOffsetHours?: number;
  /** Put in every id, so two workspaces' events differ. */
  readonly label: string;
  /** Share of calls that fail. Default 0.02. */
  readonly errorRate?: number;
}

/** A small deterministic PRNG (mulberry32) seeded from text. */
export function seededRandom(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T extends { readonly weight: number }>(items: readonly T[], random: () => number): T {
  const total = items.reduce((sum, item) => sum + item.weight, 0);
  let point = random() * total;
  for (const item of items) {
    point -= item.weight;
    if (point < 0) return item;
  }
  return items[items.length - 1]!;
}

/** Around `typical`, spread from about a third to three times it (a rough log-normal). */
function around(typical: number, random: () => number): number {
  const spread = Math.exp((random() + random() + random() - 1.5) * 1.1);
  return Math.max(1, Math.round(typical * spread));
}

/** Relative traffic per local hour: quiet at night, a peak in the morning and mid-afternoon. */
const HOUR_PROFILE = [0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.45, 0.9, 1.6, 2.3, 2.5, 2.3, 1.7, 2.1, 2.4, 2.2, 1.8, 1.2, 0.8, 0.6, 0.45, 0.35, 0.25, 0.2];
const HOUR_TOTAL = HOUR_PROFILE.reduce((sum, value) => sum + value, 0);

/**
 * Every call of the demo's history in one workspace, oldest first: a daily rhythm in the team's time
 * zone, fewer calls at weekends, traffic growing over the period, about `errorRate` of them failed.
 */
export function demoUsage(options: DemoUsageOptions): RecordedUsage[] {
  const days = options.days ?? 90;
  const perDay = options.callsPerWorkingDay ?? 380;
  const offsetMs = (options.utcOffsetHours ?? -5) * 3_600_000;
  const errorRate = options.errorRate ?? 0.02;
  const anchor = options.anchor.getTime();
  const start = anchor - days * 86_400_000;
  const events: RecordedUsage[] = [];
  // local days from the first one the period touches to the anchor's
  const firstLocalDay = Math.floor((start + offsetMs) / 86_400_000);
  const lastLocalDay = Math.floor((anchor + offsetMs) / 86_400_000);
  for (let localDay = firstLocalDay; localDay <= lastLocalDay; localDay++) {
    const label = new Date(localDay * 86_400_000).toISOString().slice(0, 10);
    const random = seededRandom(`${options.label}\n${label}`);
    const weekday = new Date(localDay * 86_400_000).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    // growth: the last day has about 1.6 times the traffic of the first
    const growth = 0.75 + (0.5 * (localDay - firstLocalDay)) / Math.max(1, lastLocalDay - firstLocalDay);
    const dayCalls = Math.round(perDay * growth * (weekend ? 0.3 : 1) * (0.85 + random() * 0.3));
    for (let n = 0; n < dayCalls; n++) {
      // the local hour by the profile, then a minute and second within it
      let point = random() * HOUR_TOTAL;
      let hour = 0;
      while (hour < 23 && point >= HOUR_PROFILE[hour]!) point -= HOUR_PROFILE[hour++]!;
      const at = localDay * 86_400_000 + hour * 3_600_000 + Math.floor(random() * 3_600_000) - offsetMs;
      const agent = pick(DEMO_AGENTS, random);
      const preferred = agent.models.map((index, rank) => ({ model: DEMO_MODELS[index]!, weight: DEMO_MODELS[index]!.weight / (rank + 1) }));
      const { model } = pick(preferred, random);
      const failed = random() < errorRate;
      const inputTokens = around(model.input, random);
      const outputTokens = failed ? 0 : around(model.output, random);
      const cacheReadInputTokens = model.cacheShare ? Math.floor(inputTokens * model.cacheShare * random()) : 0;
      const reasoningOutputTokens = model.reasoningShare ? Math.floor(outputTokens * model.reasoningShare * random()) : 0;
      const responseTimeMs = failed ? around(model.latencyMs * 3, random) : around(model.latencyMs, random);
      // the draws above happen for every call, so a call's fields never depend on whether it is kept
      if (at < start || at >= anchor) continue;
      events.push({
        id: `demo-${options.label}-${label}-${String(n).padStart(4, '0')}`,
        source: DEMO_USAGE_SOURCE,
        time: new Date(at).toISOString(),
        agent: agent.name,
        provider: model.provider,
        model: model.model,
        inputTokens,
        outputTokens,
        cacheReadInputTokens,
        reasoningOutputTokens,
        responseTimeMs,
        status: failed ? 'error' : 'success',
        ...(failed ? { errorType: ERROR_TYPES[n % ERROR_TYPES.length] } : {}),
      });
    }
  }
  return events.sort((a, b) => String(a.time).localeCompare(String(b.time)));
}
