import { z } from 'zod';

/** Who caused a change: a person, an API key, a Steward service, or the system itself. */
export const ActorSchema = z
  .object({
    type: z.enum(['user', 'api_key', 'service', 'system']),
    id: z.string().min(1).max(200),
  })
  .strict();
export type Actor = z.infer<typeof ActorSchema>;

/** W3C trace context, carried from the HTTP edge through NATS into the store. */
export const TraceContextSchema = z
  .object({
    traceparent: z.string().min(1).max(128),
    tracestate: z.string().max(512).optional(),
  })
  .strict();
export type TraceContext = z.infer<typeof TraceContextSchema>;

export const EventMetadataSchema = z
  .object({
    correlationId: z.string().min(1).max(200),
    causationId: z.string().min(1).max(200).optional(),
    actor: ActorSchema,
    organizationId: z.string().min(1).max(200).optional(),
    workspaceId: z.string().min(1).max(200).optional(),
    traceContext: TraceContextSchema.optional(),
    occurredAt: z.iso.datetime({ offset: true }),
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
    streamId: z.string().min(1).max(500),
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
