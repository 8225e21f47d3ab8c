import { z } from 'zod';
import { InstantSchema, UsageEventSchema, UsageIdSchema, UsageSourceSchema, TokenCountSchema, nameText, safeParseUsageEvent, text, type UsageEvent } from '@steward/contracts';
import { issuesOf, type ItemError } from './usage-items.validation';

/** The CloudEvents `type` of one LLM call. */
export const LLM_USAGE_TYPE = 'llm.usage';

/** The media types of `POST /api/v1/events` (CloudEvents JSON format, structured and batched modes). */
export const CLOUDEVENT_MEDIA = 'application/cloudevents+json';
export const CLOUDEVENTS_BATCH_MEDIA = 'application/cloudevents-batch+json';
export const JSON_MEDIA = 'application/json';

/**
 * The OpenTelemetry GenAI attribute names `data` may use, and the Steward field
 * each one fills. `gen_ai.response.model` wins over `gen_ai.request.model` (the
 * model that answered is the one that is priced).
 */
export const GEN_AI_FIELDS = {
  'gen_ai.usage.input_tokens': 'inputTokens',
  'gen_ai.usage.output_tokens': 'outputTokens',
  'gen_ai.usage.cache_read.input_tokens': 'cacheReadInputTokens',
  'gen_ai.usage.cache_creation.input_tokens': 'cacheCreationInputTokens',
  'gen_ai.usage.reasoning.output_tokens': 'reasoningOutputTokens',
  'gen_ai.response.model': 'model',
  'gen_ai.request.model': 'model',
  'gen_ai.provider.name': 'provider',
  'gen_ai.agent.name': 'agent',
} as const satisfies Record<string, keyof UsageEvent>;
type GenAiName = keyof typeof GEN_AI_FIELDS;

/** The CloudEvent attributes in the envelope; id, source and time become the usage event's. */
const ENVELOPE_ATTRIBUTES = ['id', 'source', 'time'] as const;

const usageShape = UsageEventSchema.shape;
/** `data` in Steward's names: a usage event without the attributes the envelope carries. */
const { id: _id, source: _source, time: _time, ...stewardDataShape } = usageShape;
export const StewardUsageDataSchema = z.strictObject(stewardDataShape).describe("An llm.usage event's data in Steward's field names");

const token = TokenCountSchema;
/** `data` in OpenTelemetry GenAI names (for the documentation; the two may be mixed). */
export const GenAiUsageDataSchema = z
  .strictObject({
    'gen_ai.provider.name': nameText(100),
    'gen_ai.request.model': nameText(200),
    'gen_ai.response.model': nameText(200).optional(),
    'gen_ai.agent.name': nameText(200).optional(),
    'gen_ai.usage.input_tokens': token.optional(),
    'gen_ai.usage.output_tokens': token.optional(),
    'gen_ai.usage.cache_read.input_tokens': token.optional(),
    'gen_ai.usage.cache_creation.input_tokens': token.optional(),
    'gen_ai.usage.reasoning.output_tokens': token.optional(),
    responseTimeMs: usageShape.responseTimeMs,
    status: usageShape.status,
    errorType: usageShape.errorType,
    jobId: usageShape.jobId,
    budgetReservationId: usageShape.budgetReservationId,
  })
  .describe("An llm.usage event's data in OpenTelemetry GenAI names (they may be mixed with Steward's; the same quantity twice is refused)");

/** The CloudEvent envelope (CloudEvents 1.0, JSON format). `data` is checked after the GenAI names are mapped. */
const envelopeShape = {
  specversion: z.literal('1.0'),
  id: UsageIdSchema,
  source: UsageSourceSchema,
  type: z.literal(LLM_USAGE_TYPE),
  /** The workspace id; omitted: the API key's workspace. */
  subject: nameText(100).optional(),
  time: InstantSchema.optional(),
  datacontenttype: z.literal(JSON_MEDIA).optional(),
  dataschema: text({ min: 1, max: 2000, singleLine: true }).optional(),
  traceparent: text({ min: 1, max: 200, singleLine: true }).optional(),
  tracestate: text({ min: 1, max: 2000, singleLine: true }).optional(),
};
const CloudEventEnvelopeSchema = z.strictObject({ ...envelopeShape, data: z.record(z.string(), z.unknown()) });

/** One `llm.usage` CloudEvent as documented in OpenAPI. */
export const LlmUsageCloudEventSchema = z
  .strictObject({ ...envelopeShape, data: z.union([StewardUsageDataSchema, GenAiUsageDataSchema]) })
  .describe('A CloudEvent of type llm.usage: one LLM call. id → the usage id, source → source, time → time (default: when received), subject → the workspace');
export const LlmUsageCloudEventBatchSchema = z.array(LlmUsageCloudEventSchema).min(1).max(10_000);

/** One accepted CloudEvent as a usage event of a workspace (undefined: the API key's). */
export interface MappedCloudEvent {
  readonly subject: string | undefined;
  /** Where the event is in the body (`body`, `body.3`): errors about it are named from here. */
  readonly field: string;
  readonly event: UsageEvent;
}

export interface CloudEventsVerdict {
  readonly events: MappedCloudEvent[];
  readonly errors: Array<Omit<ItemError, 'index'>>;
}

/** Whether a body of this media type is one event, a batch, or either (`application/json`). */
export function expectedShape(media: string): 'one' | 'batch' | 'either' {
  if (media === CLOUDEVENT_MEDIA) return 'one';
  if (media === CLOUDEVENTS_BATCH_MEDIA) return 'batch';
  return 'either';
}

/** `data` in Steward's names, or the GenAI field names each value came from (for naming errors). */
function mapData(data: Record<string, unknown>, prefix: string): { mapped: Record<string, unknown>; origin: Map<string, string>; errors: Array<{ field: string; reason: string }> } {
  const mapped: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  const errors: Array<{ field: string; reason: string }> = [];
  const stewardNames = new Set(Object.keys(stewardDataShape));
  // response model first: it wins over the request model
  const keys = Object.keys(data).sort((left, right) => Number(left === 'gen_ai.request.model') - Number(right === 'gen_ai.request.model'));
  for (const key of keys) {
    const value = data[key];
    if (stewardNames.has(key)) {
      if (origin.has(key)) {
        errors.push({ field: `${prefix}.data.${origin.get(key)}`, reason: `${key} is given twice (as ${key} and as ${origin.get(key)})` });
        continue;
      }
      mapped[key] = value;
      origin.set(key, key);
    } else if (Object.hasOwn(GEN_AI_FIELDS, key)) {
      const target = GEN_AI_FIELDS[key as GenAiName];
      if (key === 'gen_ai.request.model' && origin.get(target) === 'gen_ai.response.model') continue;
      if (origin.has(target)) {
        errors.push({ field: `${prefix}.data.${key}`, reason: `${target} is given twice (as ${origin.get(target)} and as ${key})` });
        continue;
      }
      mapped[target] = value;
      origin.set(target, key);
    } else {
      errors.push({ field: `${prefix}.data.${key}`, reason: 'unknown field' });
    }
  }
  return { mapped, origin, errors };
}

/**
 * One CloudEvent → a usage event. The CloudEvent's id, source and time become
 * the usage event's (time defaults to `receivedAt`), `data` may use Steward's
 * names and the GenAI names. Errors name the field as sent (`body.data.gen_ai.usage.input_tokens`).
 */
export function mapCloudEvent(value: unknown, prefix: string, receivedAt: string): { event?: MappedCloudEvent; errors: Array<{ field: string; reason: string }> } {
  const envelope = CloudEventEnvelopeSchema.safeParse(value);
  if (!envelope.success) return { errors: issuesOf(envelope.error, prefix) };
  const { data, id, source, time, subject } = envelope.data;
  const { mapped, origin, errors } = mapData(data, prefix);
  if (errors.length > 0) return { errors };
  const parsed = safeParseUsageEvent({ ...mapped, id, source, time: time ?? receivedAt });
  if (!parsed.success) {
    return {
      errors: issuesOf(parsed.error, '').map(({ field, reason }) => {
        const name = field.slice(1).split('.')[0] ?? '';
        const rest = field.slice(1 + name.length);
        const where = (ENVELOPE_ATTRIBUTES as readonly string[]).includes(name) ? `${prefix}.${name}` : `${prefix}.data.${origin.get(name) ?? name}`;
        return { field: `${where}${rest}`, reason };
      }),
    };
  }
  return { event: { subject, field: prefix, event: parsed.data }, errors: [] };
}

/**
 * A body of `POST /api/v1/events` → usage events, all or nothing (CloudEvents
 * ingest answers 204 or a problem): `application/cloudevents+json` one event,
 * `application/cloudevents-batch+json` an array, `application/json` either.
 */
export function mapCloudEvents(body: unknown, media: string, receivedAt: string, maxEvents: number): CloudEventsVerdict {
  const shape = expectedShape(media);
  if (Array.isArray(body)) {
    if (shape === 'one') return { events: [], errors: [{ field: 'body', reason: `${CLOUDEVENT_MEDIA} carries one event; send an array as ${CLOUDEVENTS_BATCH_MEDIA}` }] };
    if (body.length === 0) return { events: [], errors: [{ field: 'body', reason: 'at least one event' }] };
    if (body.length > maxEvents) return { events: [], errors: [{ field: 'body', reason: `at most ${maxEvents} events per request` }] };
    const events: MappedCloudEvent[] = [];
    const errors: Array<{ field: string; reason: string }> = [];
    body.forEach((item, index) => {
      const result = mapCloudEvent(item, `body.${index}`, receivedAt);
      if (result.event) events.push(result.event);
      errors.push(...result.errors);
    });
    return errors.length > 0 ? { events: [], errors } : { events, errors: [] };
  }
  if (shape === 'batch') return { events: [], errors: [{ field: 'body', reason: `${CLOUDEVENTS_BATCH_MEDIA} is an array of events` }] };
  if (body === null || typeof body !== 'object') return { events: [], errors: [{ field: 'body', reason: 'a CloudEvent (a JSON object) or an array of them' }] };
  const result = mapCloudEvent(body, 'body', receivedAt);
  return result.event ? { events: [result.event], errors: [] } : { events: [], errors: result.errors };
}
