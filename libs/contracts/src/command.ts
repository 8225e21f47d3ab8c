import { z } from 'zod';
import { InstantSchema, text } from './fields';
import { ActorSchema, TraceContextSchema } from './envelope';

/**
 * What travels on NATS request/reply to a service's command handler. The
 * `commandId` is the idempotency key: the gateway derives it from the HTTP
 * `Idempotency-Key` (or generates one), and a handler that sees the same
 * command id again answers as it did the first time.
 */
export const CommandEnvelopeSchema = z
  .object({
    commandId: text({ min: 1, max: 200 }),
    type: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'command types are PascalCase, imperative'),
    actor: ActorSchema,
    organizationId: text({ min: 1, max: 200 }).optional(),
    workspaceId: text({ min: 1, max: 200 }).optional(),
    /** Carried into the metadata of the events the command produces. */
    correlationId: text({ min: 1, max: 200 }).optional(),
    /** The event (or command) that caused this command, when a reactor issued it. */
    causationId: text({ min: 1, max: 200 }).optional(),
    traceContext: TraceContextSchema.optional(),
    issuedAt: InstantSchema,
    payload: z.unknown(),
  })
  .strict();

export type CommandEnvelope = z.infer<typeof CommandEnvelopeSchema>;

/** A command envelope whose `type` and `payload` are known to the caller. */
export type TypedCommandEnvelope<TType extends string, TPayload> = Omit<CommandEnvelope, 'type' | 'payload'> & {
  readonly type: TType;
  readonly payload: TPayload;
};

/** One event a command appended. */
export interface AppendedEvent {
  readonly type: string;
  readonly streamId: string;
  /** The event's revision in its stream (a decimal string: revisions are bigints). */
  readonly revision: string;
}

/**
 * Where a command's events are in the store's global order: what a reader
 * waits for to see the command's effect (the gateway's read-your-writes).
 */
export interface CommandWrite {
  /**
   * The global position (`commit/prepare`) of the last event the command
   * appended, or, for a resent command, had appended. Absent when it appended none.
   */
  readonly position?: string;
  /** The events it appended (type and stream: which read models they concern). */
  readonly events: readonly AppendedEvent[];
}

/**
 * What a command handler answers when it accepts a command. A command resent
 * with the same id answers `replayed: true` and the events (and position) the first one appended.
 */
export interface CommandAnswer<TEvent extends AppendedEvent = AppendedEvent> extends CommandWrite {
  readonly ok: true;
  readonly commandId: string;
  /** False when the command changed nothing: the state already was as asked. */
  readonly changed: boolean;
  readonly replayed: boolean;
  readonly events: readonly TEvent[];
}

/**
 * What a service answers when it refuses a command (inside the RpcException):
 * its context's code, which the gateway maps to an HTTP status in one place.
 */
export interface CommandErrorBody<TCode extends string = string> {
  readonly code: TCode;
  readonly message: string;
  /** For an invalid command: the payload field at fault (`unitPrices.input`), where one is. */
  readonly field?: string;
}
