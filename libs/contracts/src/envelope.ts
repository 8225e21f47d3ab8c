import { z } from 'zod';
import { InstantSchema, text } from './fields';

/** Who caused a change: a person, an API key, a Steward service, or the system itself. */
export const ActorSchema = z
  .object({
    type: z.enum(['user', 'api_key', 'service', 'system']),
    id: text({ min: 1, max: 200 }),
  })
  .strict();
export type Actor = z.infer<typeof ActorSchema>;

/** W3C trace context, carried from the HTTP edge through NATS into the store. */
export const TraceContextSchema = z
  .object({
    traceparent: text({ min: 1, max: 128 }),
    tracestate: text({ max: 512 }).optional(),
  })
  .strict();
export type TraceContext = z.infer<typeof TraceContextSchema>;

export const EventMetadataSchema = z
  .object({
    correlationId: text({ min: 1, max: 200 }),
    causationId: text({ min: 1, max: 200 }).optional(),
    actor: ActorSchema,
    organizationId: text({ min: 1, max: 200 }).optional(),
    workspaceId: text({ min: 1, max: 200 }).optional(),
    traceContext: TraceContextSchema.optional(),
    occurredAt: InstantSchema,
  })
  .strict();
export type EventMetadata = z.infer<typeof EventMetadataSchema>;

/**
 * The unit of the event store and the bus. `version` is the schema version of
 * `data` for this `type`: a changed shape is a new version plus an upcaster.
 */
export const EventEnvelopeSchema = z
  .object({
    eventId: z.uuid(),
    type: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'event types are PascalCase, past tense'),
    version: z.number().int().positive(),
    streamId: text({ min: 1, max: 500 }),
    data: z.unknown(),
    metadata: EventMetadataSchema,
  })
  .strict();

export interface EventEnvelope<TType extends string = string, TData = unknown> {
  readonly eventId: string;
  readonly type: TType;
  readonly version: number;
  readonly streamId: string;
  readonly data: TData;
  readonly metadata: EventMetadata;
}
