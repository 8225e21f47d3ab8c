import { DeliverPolicy, JetStreamApiCodes, JetStreamApiError, type ConsumerMessages, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { decodeEvent, natsNames, type DeliveredEvent } from '@steward/messaging';
import type { Logger } from '@steward/observability';
import { eventTenant, liveKindsOf, type LiveMessage } from './live-message';

/** An event type as a subject's last token carries it unaltered. */
const PLAIN_TYPE = /^[A-Za-z0-9]+$/;
/** Messages read ahead of those still waiting for their read models, at most. */
const MAX_SETTLING = 1_000;

export interface LiveEventHubOptions {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** The NATS prefix ('' in production). */
  readonly natsPrefix: string;
  /** The organization of a workspace (for events that name only their workspace). */
  readonly organizationOf: (workspaceId: string) => Promise<string | undefined>;
  /**
   * Resolves once the read models an event changes have applied it, so that a client refetching on the
   * message reads the change (bounded by the caller: a stalled projection delays, never stops, the stream).
   */
  readonly settle?: (event: DeliveredEvent) => Promise<void>;
  /** Messages kept for clients that resume with Last-Event-ID. Default 10,000. */
  readonly replayLimit?: number;
  /** Open streams per caller (this process). Default 5. */
  readonly maxConnectionsPerCaller?: number;
  readonly logger: Logger;
}

export interface LiveSubscriber {
  /** Called in stream order, synchronously, for every message of every organization (the subscriber filters). */
  deliver(message: LiveMessage): void;
  /** The hub stopped: end the stream. */
  close(): void;
}

/** `messages`: what a client resuming after `after` missed; `reset`: too old to replay, refetch everything. */
export type Resumption = { readonly kind: 'replay'; readonly messages: readonly LiveMessage[] } | { readonly kind: 'reset'; readonly head: number };

/**
 * The gateway's one reader of the events stream: an ordered (ephemeral) consumer of `<p>events.>`, whatever
 * the number of clients. Each event becomes a LiveMessage (its dashboard kinds and its tenant), is kept in a
 * bounded window for clients that resume, and is handed to every subscriber in stream order. The window is
 * warmed at start from the stream itself, so a client that reconnects to another replica resumes there too.
 */
export class LiveEventHub {
  private readonly window: LiveMessage[] = [];
  /** Every event of a sequence above `floor` that the hub read is in the window (when it concerns a dashboard). */
  private floor = Number.POSITIVE_INFINITY;
  private lastSeq = 0;
  /** The last message handed on (or about to be, once its read models settle): each waits for the one before. */
  private delivered: Promise<void> = Promise.resolve();
  private waiting = 0;
  private readonly subscribers = new Set<LiveSubscriber>();
  private readonly connections = new Map<string, number>();
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private readonly replayLimit: number;
  readonly maxConnectionsPerCaller: number;

  constructor(private readonly options: LiveEventHubOptions) {
    this.replayLimit = options.replayLimit ?? 10_000;
    this.maxConnectionsPerCaller = options.maxConnectionsPerCaller ?? 5;
  }

  /** Starts reading; resolves at once (the stream may not exist yet: the reader retries until it does). */
  start(): void {
    this.loop ??= this.run();
  }

  /** The newest sequence read. */
  get head(): number {
    return this.lastSeq;
  }

  /**
   * Adds a subscriber and answers what it missed after `after` (a Last-Event-ID), atomically: nothing
   * delivered between the replay and the live messages is lost or doubled.
   */
  subscribe(subscriber: LiveSubscriber, after: number | undefined): Resumption {
    this.subscribers.add(subscriber);
    if (after === undefined) return { kind: 'replay', messages: [] };
    if (after < this.floor) return { kind: 'reset', head: this.lastSeq };
    return { kind: 'replay', messages: this.window.filter((message) => message.seq > after) };
  }

  unsubscribe(subscriber: LiveSubscriber): void {
    this.subscribers.delete(subscriber);
  }

  /** Takes one of the caller's connections; undefined when all are in use. Call the answer to give it back. */
  acquire(caller: string): (() => void) | undefined {
    const open = this.connections.get(caller) ?? 0;
    if (open >= this.maxConnectionsPerCaller) return undefined;
    this.connections.set(caller, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.connections.get(caller) ?? 1) - 1;
      if (left <= 0) this.connections.delete(caller);
      else this.connections.set(caller, left);
    };
  }

  async close(): Promise<void> {
    this.stopping = true;
    for (const subscriber of [...this.subscribers]) subscriber.close();
    this.subscribers.clear();
    await this.messages?.close();
    await this.loop;
  }

  private async run(): Promise<void> {
    const names = natsNames(this.options.natsPrefix);
    while (!this.stopping) {
      try {
        const state = (await this.options.jsm.streams.info(names.eventsStream)).state;
        // first start: warm the window from the stream; after a failure: resume after the last message read
        const from = this.lastSeq > 0 ? this.lastSeq + 1 : Math.max(state.first_seq, state.last_seq - this.replayLimit + 1, 1);
        if (this.floor === Number.POSITIVE_INFINITY) this.floor = from - 1;
        const consumer = await this.options.js.consumers.get(names.eventsStream, {
          filter_subjects: names.eventsSubjects,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: from,
        });
        this.messages = await consumer.consume();
        if (this.stopping) break;
        for await (const message of this.messages) {
          await this.read(message.seq, message.data, message.subject);
          if (this.stopping) break;
        }
        await this.delivered;
      } catch (error) {
        if (this.stopping) break;
        const missing = error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
        if (!missing) this.options.logger.warn({ err: error }, 'live updates: reading the events stream failed; retrying');
      }
      if (!this.stopping) await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }

  private async read(seq: number, data: Uint8Array, subject = ''): Promise<void> {
    if (seq <= this.lastSeq) return;
    // the subject ends in the event's type: most of the stream is usage, which no dashboard message carries,
    // and is passed over without being decoded (a type the subject token had to alter is decoded to be sure)
    const token = subject.slice(subject.lastIndexOf('.') + 1);
    if (PLAIN_TYPE.test(token) && liveKindsOf(token).length === 0) {
      this.lastSeq = seq;
      return;
    }
    let event: DeliveredEvent;
    try {
      event = decodeEvent(data);
    } catch (error) {
      this.options.logger.warn({ seq, err: error }, 'live updates: skipped a message that is not an event');
      this.lastSeq = seq;
      return;
    }
    const kinds = liveKindsOf(event.type);
    if (kinds.length === 0) {
      this.lastSeq = seq;
      return;
    }
    const tenant = eventTenant(event);
    const organizationId = tenant.organizationId ?? (tenant.workspaceId !== undefined ? await this.options.organizationOf(tenant.workspaceId).catch(() => undefined) : undefined);
    // an event of no organization reaches nobody, but an announcement (to every organization)
    if (organizationId === undefined && !kinds.every((kind) => kind === 'announcement')) {
      this.lastSeq = seq;
      return;
    }
    // the wait for the read models starts now, for each message on its own: under load one slow projection
    // must not hold every later message behind it; messages still leave in the stream's order
    const settled = this.options.settle?.(event).catch(() => undefined);
    const message: LiveMessage = {
      seq,
      eventId: event.eventId,
      type: event.type,
      kinds,
      organizationId,
      workspaceId: tenant.workspaceId,
      occurredAt: event.metadata.occurredAt,
    };
    this.lastSeq = seq;
    const previous = this.delivered;
    this.delivered = (async () => {
      await previous;
      await settled;
      this.window.push(message);
      if (this.window.length > this.replayLimit) this.floor = (this.window.shift() as LiveMessage).seq;
      for (const subscriber of this.subscribers) subscriber.deliver(message);
    })();
    // a bounded number of messages waiting for their read models: past it, reading waits for them
    this.waiting += 1;
    void this.delivered.finally(() => (this.waiting -= 1));
    if (this.waiting > MAX_SETTLING) await this.delivered;
  }
}
