import { headers as natsHeaders } from '@nats-io/nats-core';
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { encodeEvent, type PublishableEvent } from './event-codec';
import { MessagingError, MessagingErrorCode } from './messaging.error';
import { injectTraceHeaders } from './trace-headers';

export interface PublishEventOptions {
  /** How long to wait for JetStream's acknowledgement. Default 5 s. */
  readonly timeoutMs?: number;
}

/**
 * Publishes one event to JetStream with `Nats-Msg-Id = eventId` and the
 * event's trace context (else the active one) in W3C headers, and waits for
 * the acknowledgement. A duplicate (same event id inside the stream's
 * duplicate window) is success: `ack.duplicate` is true and nothing was stored.
 */
export async function publishEvent(
  js: JetStreamClient,
  event: PublishableEvent,
  subject: string,
  options: PublishEventOptions = {},
): Promise<PubAck> {
  const headers = natsHeaders();
  injectTraceHeaders(headers, event.metadata.traceContext);
  headers.set('Steward-Event-Type', event.type);
  try {
    return await js.publish(subject, encodeEvent(event), {
      msgID: event.eventId,
      headers,
      timeout: options.timeoutMs ?? 5_000,
    });
  } catch (error) {
    throw new MessagingError(
      MessagingErrorCode.PublishFailed,
      `publishing ${event.type} ${event.eventId} to ${subject} failed: ${String(error)}`,
      { eventId: event.eventId, subject },
      { cause: error },
    );
  }
}
