import { z } from 'zod';
import { GEN_AI_USAGE_ATTRIBUTES, InstantSchema, UsageEventSchema, UsageIdSchema, UsageSourceSchema, isGenAiUsageAttribute, nameText, readGenAiUsage, safeParseUsageEvent, text, type UsageEvent } from '@steward/contracts';
import { issuesOf, type ItemError } from './usage-items.validation';

/** The CloudEvents `type` of one LLM call. */
export const LLM_USAGE_TYPE = 'llm.usage';

/** The media types of `POST /api/v1/events` (CloudEvents JSON format, structured and batched modes). */
export const CLOUDEVENT_MEDIA = 'application/cloudevents+json';
export const CLOUDEVENTS_BATCH_MEDIA = 'application/cloudevents-batch+json';
export const JSON_MEDIA = 'application/json';

/** The CloudEvent attributes in the envelope; id, source and time become the usage event's. */
const ENVELOPE_ATTRIBUTES = ['id', 'source', 'time'] as const;

const usageShape = UsageEventSchema.shape;
/** `data` in Steward's names: a usage event without the attributes the envelope carries. */
const { id: _id, source: _source, time: _time, ...stewardDataShape } = usageShape;
export const StewardUsageDataSchema = z.strictObject(stewardDataShape).describe("An llm.usage event's data in Steward's field names");

/** Shown as required in the documented GenAI shape, so an example built from it is accepted (the older names may stand in for them). */
const DOCUMENTED_REQUIRED = new Set(['gen_ai.provider.name', 'gen_ai.request.model']);

/** The GenAI attributes' schemas for the documentation: each as the Steward field it fills (the mapping is GEN_AI_USAGE_ATTRIBUTES). */
const genAiShape = Object.fromEntries(
  (Object.entries(GEN_AI_USAGE_ATTRIBUTES) as Array<[keyof typeof GEN_AI_USAGE_ATTRIBUTES, readonly string[]]>).flatMap(([field, names]) =>
    names.map((name, rank) => [
      name,
      (DOCUMENTED_REQUIRED.has(name) ? usageShape[field] : usageShape[field].optional()).describe(rank === 0 ? `→ ${field}` : `→ ${field} when ${names.slice(0, rank).join(' and ')} ${rank === 1 ? 'is' : 'are'} absent${name === 'gen_ai.request.model' ? '' : ' (older conventions)'}`),
    ]),
  ),
);
/** `data` in OpenTelemetry GenAI names (for the documentation; the two may be mixed). */
export const GenAiUsageDataSchema = z
  .strictObject({
    ...genAiShape,
    responseTimeMs: usageShape.responseTimeMs,
    status: usageShape.status,
    errorType: usageShape.errorType,
    jobId: usageShape.jobId,
    budgetReservationId: usageShape.budgetReservationId,
  })
  .describe("An llm.usage event's data in OpenTelemetry GenAI names (they may be mixed with Steward's; the same quantity under a GenAI and a Steward name is refused)");

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
  /** Where its subject was (or belonged): `body.3.subject`, `header.ce-subject`. */
  readonly subjectField: string;
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

/** Where the errors about one event are named: its attributes, and its `data`. */
export interface CloudEventNaming {
  /** The event as a whole: `body.3`, or `body`. */
  readonly event: string;
  /** `body.3.id` in structured mode, `header.ce-id` in binary mode. */
  readonly attribute: (name: string) => string;
  /** `body.3.data` in structured mode, `body` in binary mode. */
  readonly data: string;
}

/** Errors of one structured event are named from where it is in the body (`body`, `body.3`). */
export function structuredNaming(prefix: string): CloudEventNaming {
  return { event: prefix, attribute: (name) => `${prefix}.${name}`, data: `${prefix}.data` };
}

/**
 * `data` in Steward's names, the GenAI names read through the shared mapping
 * (`readGenAiUsage`: precedence and older names), and for each field the name
 * it came from (for naming errors). A quantity under a Steward name and a
 * GenAI name is refused; among GenAI names the precedence decides.
 */
function mapData(data: Record<string, unknown>, dataField: string): { mapped: Record<string, unknown>; origin: Map<string, string>; errors: Array<{ field: string; reason: string }> } {
  const mapped: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  const errors: Array<{ field: string; reason: string }> = [];
  const stewardNames = new Set(Object.keys(stewardDataShape));
  const genAi: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (stewardNames.has(key)) {
      mapped[key] = value;
      origin.set(key, key);
    } else if (isGenAiUsageAttribute(key)) {
      genAi[key] = value;
    } else {
      errors.push({ field: `${dataField}.${key}`, reason: 'unknown field' });
    }
  }
  const reading = readGenAiUsage(genAi);
  for (const [field, name] of Object.entries(reading.origin)) {
    if (origin.has(field)) {
      errors.push({ field: `${dataField}.${name}`, reason: `${field} is given twice (as ${field} and as ${name})` });
      continue;
    }
    mapped[field] = reading.values[field as keyof typeof reading.values];
    origin.set(field, name);
  }
  return { mapped, origin, errors };
}

/** The envelope's problems, each named where it was sent (an attribute, or inside `data`). */
function envelopeIssues(error: z.ZodError, naming: CloudEventNaming): Array<{ field: string; reason: string }> {
  const issues: Array<{ field: string; reason: string }> = [];
  const named = (path: readonly PropertyKey[]): string => {
    const [head, ...rest] = path.map((segment) => String(segment));
    if (head === undefined) return naming.event;
    return [head === 'data' ? naming.data : naming.attribute(head), ...rest].join('.');
  };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) issues.push({ field: named([...issue.path, key]), reason: 'unknown attribute' });
    } else {
      issues.push({ field: named(issue.path), reason: issue.message });
    }
  }
  return issues;
}

/**
 * One CloudEvent → a usage event. The CloudEvent's id, source and time become
 * the usage event's (time defaults to `receivedAt`), `data` may use Steward's
 * names and the GenAI names. Errors name the field as sent: `body.data.gen_ai.usage.input_tokens`
 * in structured mode, `header.ce-id` or `body.gen_ai.usage.input_tokens` in binary mode.
 */
export function mapCloudEvent(value: unknown, naming: CloudEventNaming, receivedAt: string): { event?: MappedCloudEvent; errors: Array<{ field: string; reason: string }> } {
  const envelope = CloudEventEnvelopeSchema.safeParse(value);
  if (!envelope.success) return { errors: envelopeIssues(envelope.error, naming) };
  const { data, id, source, time, subject } = envelope.data;
  const { mapped, origin, errors } = mapData(data, naming.data);
  if (errors.length > 0) return { errors };
  const parsed = safeParseUsageEvent({ ...mapped, id, source, time: time ?? receivedAt });
  if (!parsed.success) {
    return {
      errors: issuesOf(parsed.error, '').map(({ field, reason }) => {
        const name = field.slice(1).split('.')[0] ?? '';
        const rest = field.slice(1 + name.length);
        const where = (ENVELOPE_ATTRIBUTES as readonly string[]).includes(name) ? naming.attribute(name) : `${naming.data}.${origin.get(name) ?? name}`;
        return { field: `${where}${rest}`, reason };
      }),
    };
  }
  return { event: { subject, subjectField: naming.attribute('subject'), event: parsed.data }, errors: [] };
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
      const result = mapCloudEvent(item, structuredNaming(`body.${index}`), receivedAt);
      if (result.event) events.push(result.event);
      errors.push(...result.errors);
    });
    return errors.length > 0 ? { events: [], errors } : { events, errors: [] };
  }
  if (shape === 'batch') return { events: [], errors: [{ field: 'body', reason: `${CLOUDEVENTS_BATCH_MEDIA} is an array of events` }] };
  if (body === null || typeof body !== 'object') return { events: [], errors: [{ field: 'body', reason: 'a CloudEvent (a JSON object) or an array of them' }] };
  const result = mapCloudEvent(body, structuredNaming('body'), receivedAt);
  return result.event ? { events: [result.event], errors: [] } : { events: [], errors: result.errors };
}

/** The prefix of the HTTP headers that carry a binary-mode CloudEvent's attributes (HTTP protocol binding, 3.1.3). */
export const CE_HEADER_PREFIX = 'ce-';

/** Binary mode's attribute headers, as documented in OpenAPI; other `ce-*` headers are unknown attributes (400). */
export const CE_BINARY_HEADERS: ReadonlyArray<{ readonly name: string; readonly description: string }> = [
  {
    name: 'ce-specversion',
    description: "Binary content mode (required there): `1.0`. Any `ce-*` header on an `application/json` request makes the body the event's `data` alone (Steward's names or the GenAI names, as `data` of the structured event).",
  },
  { name: 'ce-id', description: "Binary content mode (required there): the event id → the usage event's id (same source + id as a structured event or a batch item: counted once)." },
  { name: 'ce-source', description: 'Binary content mode (required there): the event source → the usage event\'s source.' },
  { name: 'ce-type', description: `Binary content mode (required there): \`${LLM_USAGE_TYPE}\`.` },
  { name: 'ce-subject', description: "Binary content mode: the workspace id (omitted: the API key's workspace)." },
  { name: 'ce-time', description: 'Binary content mode: when the call happened, RFC 3339 (default: when received).' },
  { name: 'ce-dataschema', description: 'Binary content mode: optional data schema URI.' },
  { name: 'ce-traceparent', description: 'Binary content mode: distributed tracing extension (W3C traceparent).' },
  { name: 'ce-tracestate', description: 'Binary content mode: distributed tracing extension (W3C tracestate).' },
];

/** Binary mode: a request of a non-CloudEvents media type whose attributes come in `ce-*` headers. */
export function isBinaryMode(headers: Readonly<Record<string, string | string[] | undefined>>, media: string): boolean {
  if (media === CLOUDEVENT_MEDIA || media === CLOUDEVENTS_BATCH_MEDIA) return false;
  return Object.keys(headers).some((name) => name.startsWith(CE_HEADER_PREFIX));
}

/**
 * A `ce-*` header value as the HTTP binding encodes it: `%XX` sequences are
 * UTF-8 bytes, everything else is as sent. Undefined when a `%` starts no
 * valid sequence or the bytes are not UTF-8.
 */
export function percentDecoded(value: string): string | undefined {
  if (!value.includes('%')) return value;
  if (/%(?![0-9A-Fa-f]{2})/.test(value)) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

const BINARY_NAMING: CloudEventNaming = { event: 'body', attribute: (name) => `header.${CE_HEADER_PREFIX}${name}`, data: 'body' };

/**
 * One binary-mode CloudEvent (`ce-*` headers, the body its `data`) → a usage
 * event, validated exactly as the structured event with the same attributes
 * and data would be. Errors name the header (`header.ce-id`) or the body
 * field (`body.gen_ai.usage.input_tokens`).
 */
export function mapBinaryCloudEvent(headers: Readonly<Record<string, string | string[] | undefined>>, body: unknown, receivedAt: string): CloudEventsVerdict {
  const errors: Array<{ field: string; reason: string }> = [];
  const attributes: Array<[string, string]> = [];
  for (const [name, raw] of Object.entries(headers)) {
    if (!name.startsWith(CE_HEADER_PREFIX) || raw === undefined) continue;
    const attribute = name.slice(CE_HEADER_PREFIX.length);
    if (attribute === 'data' || attribute === 'datacontenttype') {
      errors.push({ field: `header.${name}`, reason: attribute === 'data' ? 'in binary mode the body is the data' : 'in binary mode Content-Type is the data content type' });
      continue;
    }
    const decoded = percentDecoded(Array.isArray(raw) ? raw.join(',') : raw);
    if (decoded === undefined) errors.push({ field: `header.${name}`, reason: 'not valid percent-encoding of UTF-8' });
    else attributes.push([attribute, decoded]);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    errors.push({ field: 'body', reason: `binary mode carries one event whose data is a JSON object; send several as ${CLOUDEVENTS_BATCH_MEDIA}` });
  }
  if (errors.length > 0) return { events: [], errors };
  // fromEntries defines own properties, so even `ce-__proto__` is an attribute the envelope refuses by name
  const result = mapCloudEvent({ ...Object.fromEntries(attributes), data: body }, BINARY_NAMING, receivedAt);
  return result.event ? { events: [result.event], errors: [] } : { events: [], errors: result.errors };
}
