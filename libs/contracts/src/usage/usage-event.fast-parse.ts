import { z } from 'zod';
import { CLIENT_ID_PATTERN, InstantSchema, MAX_LATENCY_MS, MAX_TOKENS, isStorableText } from '../fields';
import { MAX_USAGE_BATCH, UNNAMED_AGENT, UsageEventSchema, type UsageEvent } from './usage-fields';
import { UsageIngestBatchSchema } from './usage-ingest';

const KEYS: ReadonlySet<string> = new Set(Object.keys(UsageEventSchema.shape));
const TOKEN_MAX = MAX_TOKENS;
const RESPONSE_TIME_MAX = MAX_LATENCY_MS;
// eslint-disable-next-line no-control-regex -- names refuse control characters (nameText)
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A name UsageEventSchema takes as it is: no surrounding whitespace (its `trim` would change nothing), 1..max long, one line of storable text. */
function clean(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= max && value.trim().length === value.length && !CONTROL.test(value) && isStorableText(value);
}

function optionalClean(value: unknown, max: number): boolean {
  return value === undefined || clean(value, max);
}

/** A client-supplied id UsageEventSchema takes (see CLIENT_ID_PATTERN). */
function id(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= max && CLIENT_ID_PATTERN.test(value);
}

function optionalId(value: unknown, max: number): boolean {
  return value === undefined || id(value, max);
}

function count(value: unknown, max: number): number | undefined {
  if (value === undefined) return 0;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= max ? value : undefined;
}

/**
 * UsageEventSchema's answer for the common case, about ten times cheaper: an
 * item that is plainly valid (known fields only, strings without surrounding
 * whitespace, whole numbers in range, cached ≤ input, reasoning ≤ output) is
 * returned exactly as `UsageEventSchema.parse` would return it (defaults
 * applied, provider lower-cased). Anything else — invalid, or valid only after
 * trimming — goes through the schema itself, which names the errors. A spec
 * checks both paths give the same answers.
 */
export function safeParseUsageEvent(item: unknown): ReturnType<typeof UsageEventSchema.safeParse> {
  const fast = fastUsageEvent(item);
  return fast ? { success: true, data: fast } : UsageEventSchema.safeParse(item);
}

function fastUsageEvent(item: unknown): UsageEvent | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
  const o = item as Record<string, unknown>;
  for (const key in o) if (!KEYS.has(key)) return undefined;
  if (!id(o.id, 256) || !clean(o.source, 256) || !clean(o.provider, 100) || !clean(o.model, 200)) return undefined;
  if (!optionalClean(o.agent, 200) || !optionalClean(o.errorType, 200) || !optionalId(o.jobId, 200) || !optionalId(o.budgetReservationId, 200)) return undefined;
  if (typeof o.time !== 'string' || !InstantSchema.safeParse(o.time).success) return undefined;
  const inputTokens = count(o.inputTokens, TOKEN_MAX);
  const outputTokens = count(o.outputTokens, TOKEN_MAX);
  const cacheReadInputTokens = count(o.cacheReadInputTokens, TOKEN_MAX);
  const cacheCreationInputTokens = count(o.cacheCreationInputTokens, TOKEN_MAX);
  const reasoningOutputTokens = count(o.reasoningOutputTokens, TOKEN_MAX);
  const responseTimeMs = count(o.responseTimeMs, RESPONSE_TIME_MAX);
  if (
    inputTokens === undefined ||
    outputTokens === undefined ||
    cacheReadInputTokens === undefined ||
    cacheCreationInputTokens === undefined ||
    reasoningOutputTokens === undefined ||
    responseTimeMs === undefined
  ) {
    return undefined;
  }
  if (cacheReadInputTokens + cacheCreationInputTokens > inputTokens || reasoningOutputTokens > outputTokens) return undefined;
  // null is not absent: the schema refuses it, so it goes there to be named
  const status = o.status === undefined ? 'success' : o.status;
  if (status !== 'success' && status !== 'error') return undefined;
  return {
    id: o.id,
    source: o.source,
    time: o.time,
    agent: (o.agent as string | undefined) ?? UNNAMED_AGENT,
    provider: o.provider.toLowerCase(),
    model: o.model,
    inputTokens,
    outputTokens,
    cacheReadInputTokens,
    cacheCreationInputTokens,
    reasoningOutputTokens,
    responseTimeMs,
    status,
    ...(o.errorType !== undefined ? { errorType: o.errorType as string } : {}),
    ...(o.jobId !== undefined ? { jobId: o.jobId as string } : {}),
    ...(o.budgetReservationId !== undefined ? { budgetReservationId: o.budgetReservationId as string } : {}),
  };
}

const BatchEnvelopeSchema = UsageIngestBatchSchema.extend({ events: z.array(z.unknown()).min(1).max(MAX_USAGE_BATCH) });

/**
 * UsageIngestBatchSchema's answer, with the events checked by safeParseUsageEvent (the consumer's hot
 * path: a valid event is checked without zod's per-field work). Any invalid
 * event sends the whole batch through the schema, so the errors are the schema's own.
 */
export function safeParseUsageIngestBatch(value: unknown): ReturnType<typeof UsageIngestBatchSchema.safeParse> {
  const envelope = BatchEnvelopeSchema.safeParse(value);
  if (!envelope.success) return UsageIngestBatchSchema.safeParse(value);
  const events: UsageEvent[] = [];
  for (const item of envelope.data.events) {
    const parsed = safeParseUsageEvent(item);
    if (!parsed.success) return UsageIngestBatchSchema.safeParse(value);
    events.push(parsed.data);
  }
  return { success: true, data: { ...envelope.data, events } };
}
