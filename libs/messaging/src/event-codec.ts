import { z } from 'zod';
import { EventEnvelopeSchema, type EventEnvelope } from '@steward/contracts';
import type { GlobalPosition, RecordedEvent } from '@steward/event-store';
import { MessagingError, MessagingErrorCode } from './messaging.error';

/**
 * What `publishEvent` takes: an envelope, and the store's coordinates when the
 * event comes from the store (the relay always has them).
 */
export type PublishableEvent = EventEnvelope &
  Partial<Pick<RecordedEvent, 'streamRevision' | 'position' | 'recordedAt'>>;

/** What a consumer receives: the envelope, with the store's coordinates when they were published. */
export interface DeliveredEvent extends EventEnvelope {
  readonly streamRevision?: bigint;
  readonly position?: GlobalPosition;
  readonly recordedAt?: Date;
}

const Digits = z.string().regex(/^\d+$/);

const WireEventSchema = EventEnvelopeSchema.extend({
  streamRevision: Digits.optional(),
  position: z.object({ commit: Digits, prepare: Digits }).strict().optional(),
  recordedAt: z.iso.datetime({ offset: true }).optional(),
}).strict();

/** The JSON of the full envelope; bigints become decimal strings, dates ISO strings. */
export function encodeEvent(event: PublishableEvent): string {
  const wire = {
    eventId: event.eventId,
    type: event.type,
    version: event.version,
    streamId: event.streamId,
    data: event.data,
    metadata: event.metadata,
    ...(event.streamRevision !== undefined ? { streamRevision: event.streamRevision.toString() } : {}),
    ...(event.position
      ? { position: { commit: event.position.commit.toString(), prepare: event.position.prepare.toString() } }
      : {}),
    ...(event.recordedAt ? { recordedAt: event.recordedAt.toISOString() } : {}),
  };
  return JSON.stringify(wire, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

/** Parses and validates what `encodeEvent` wrote. Throws MessagingError(InvalidMessage). */
export function decodeEvent(data: Uint8Array | string): DeliveredEvent {
  let json: unknown;
  try {
    json = JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
  } catch (error) {
    throw new MessagingError(MessagingErrorCode.InvalidMessage, 'the message is not JSON', {}, { cause: error });
  }
  const parsed = WireEventSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new MessagingError(MessagingErrorCode.InvalidMessage, `the message is not an event envelope: ${where.join('; ')}`);
  }
  const { streamRevision, position, recordedAt, ...envelope } = parsed.data;
  return {
    ...(envelope as EventEnvelope),
    ...(streamRevision !== undefined ? { streamRevision: BigInt(streamRevision) } : {}),
    ...(position ? { position: { commit: BigInt(position.commit), prepare: BigInt(position.prepare) } } : {}),
    ...(recordedAt ? { recordedAt: new Date(recordedAt) } : {}),
  };
}
