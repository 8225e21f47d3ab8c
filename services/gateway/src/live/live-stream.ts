import type { LiveEventHub, LiveSubscriber } from './live-event.hub';
import { visibleKinds, type LiveAccess, type LiveMessage } from './live-message';

export interface LiveStreamOptions {
  readonly hub: LiveEventHub;
  readonly organizationId: string;
  readonly access: LiveAccess;
  /** The client's Last-Event-ID: resume after it. */
  readonly after: number | undefined;
  /** A comment this often keeps proxies from closing an idle stream. Default 15 s. */
  readonly heartbeatMs?: number;
  /** A client this many messages behind is disconnected (it resumes with its Last-Event-ID). Default 1,000. */
  readonly maxQueued?: number;
  /** Aborted when the client goes away. */
  readonly signal?: AbortSignal;
  /** Called once the stream ends, whichever way. */
  readonly onEnd?: () => void;
}

/** The SSE data of a message, with only the kinds this caller may hear. */
export function liveFrame(message: LiveMessage, kinds: readonly string[]): string {
  const data = {
    kind: kinds[0],
    kinds,
    type: message.type,
    eventId: message.eventId,
    organizationId: message.organizationId ?? null,
    workspaceId: message.workspaceId ?? null,
    occurredAt: message.occurredAt,
  };
  return `id: ${message.seq}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * One client's Server-Sent Events: a first comment (the headers leave at once), the messages it missed after
 * its Last-Event-ID (or a `reset` event when they are no longer kept), then the live messages of its
 * organization that its roles may see, and a heartbeat comment while nothing happens.
 */
export async function* liveStream(options: LiveStreamOptions): AsyncGenerator<string> {
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const maxQueued = options.maxQueued ?? 1_000;
  const push = (frame: string): void => {
    queue.push(frame);
    wake?.();
  };
  const subscriber: LiveSubscriber = {
    deliver(message) {
      const kinds = visibleKinds(message, options.organizationId, options.access);
      if (kinds.length === 0) return;
      if (queue.length >= maxQueued) {
        ended = true;
        wake?.();
        return;
      }
      push(liveFrame(message, kinds));
    },
    close() {
      ended = true;
      wake?.();
    },
  };
  const resumption = options.hub.subscribe(subscriber, options.after);
  options.signal?.addEventListener('abort', () => subscriber.close(), { once: true });
  const heartbeat = setInterval(() => push(': heartbeat\n\n'), options.heartbeatMs ?? 15_000);
  try {
    yield 'retry: 3000\n: connected\n\n';
    if (resumption.kind === 'reset') {
      yield `id: ${resumption.head}\nevent: reset\ndata: ${JSON.stringify({ reason: 'the events after your Last-Event-ID are no longer kept: refetch' })}\n\n`;
    } else {
      for (const message of resumption.messages) {
        const kinds = visibleKinds(message, options.organizationId, options.access);
        if (kinds.length > 0) yield liveFrame(message, kinds);
      }
    }
    while (!ended || queue.length > 0) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      yield queue.splice(0, queue.length).join('');
    }
  } finally {
    clearInterval(heartbeat);
    options.hub.unsubscribe(subscriber);
    options.onEnd?.();
  }
}
