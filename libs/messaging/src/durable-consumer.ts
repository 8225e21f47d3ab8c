import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerConfig,
  type ConsumerInfo,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { headers as natsHeaders, nanos, type MsgHdrs } from '@nats-io/nats-core';
import { SpanKind, SpanStatusCode, context, trace, type Link } from '@opentelemetry/api';
import { decodeEvent, type DeliveredEvent } from './event-codec';
import { MessagingError, MessagingErrorCode } from './messaging.error';
import { natsNames } from './nats-names';
import { extractFromNatsHeaders } from '@steward/observability';

/** The part of a pino logger the messaging library uses. */
export interface MessagingLogger {
  warn(object: Record<string, unknown>, message: string): void;
  error(object: Record<string, unknown>, message: string): void;
}

/** Writes to stderr when no logger is given: errors here must never vanish. */
export const stderrLogger: MessagingLogger = {
  warn: (object, message) => console.warn(JSON.stringify({ level: 'warn', msg: message, ...object })),
  error: (object, message) => console.error(JSON.stringify({ level: 'error', msg: message, ...object })),
};

/** Headers the dead-letter copy carries, next to the original message's own headers. */
export const DeadLetterHeaders = {
  Reason: 'Steward-Dlq-Reason',
  Subject: 'Steward-Dlq-Subject',
  Stream: 'Steward-Dlq-Stream',
  StreamSequence: 'Steward-Dlq-Stream-Sequence',
  DeliveryCount: 'Steward-Dlq-Delivery-Count',
  Consumer: 'Steward-Dlq-Consumer',
  FailedAt: 'Steward-Dlq-Failed-At',
  /** Set when only some members of a batch were dead-lettered: their indices in the original message (`3,17`). */
  Members: 'Steward-Dlq-Members',
} as const;

export type MessageHandler<T> = (msg: JsMsg, decoded: T) => Promise<void>;
/** `msgs[i]` decoded is `decoded[i]`; both arrays have the same, non-zero length. */
export type BatchMessageHandler<T> = (msgs: readonly JsMsg[], decoded: readonly T[]) => Promise<void>;

/** What both modes share; see `RunConsumerOptions`. */
export interface ConsumerBaseOptions<T> {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** The stream to consume, e.g. `natsNames(prefix).eventsStream`. */
  readonly stream: string;
  /** The durable consumer's name: stable across restarts and shared by replicas. */
  readonly durable: string;
  /** ONE subject filter (NATS 2.9 refuses several); a wildcard is fine: `<p>events.usage.>`. */
  readonly filterSubject: string;
  /** '' in production, the test env's `natsPrefix` in tests: dead letters go to `<p>dlq.<durable>`. */
  readonly prefix?: string;
  /** Handler attempts before the message is dead-lettered. Default 5. */
  readonly maxDeliver?: number;
  /**
   * Delay before the next attempt after attempt n fails: `backoffMs[n - 1]`, the
   * last entry repeating. Default: 1 s doubling per attempt, at most 60 s.
   */
  readonly backoffMs?: readonly number[];
  /** Redelivery when a message is neither acked nor nacked in time. Default 30 s; a running handler extends it. */
  readonly ackWaitMs?: number;
  /**
   * Messages buffered ahead of the handler. Default 10 (in batch mode: `maxBatch`).
   * One at a time, they are handled in order; keep `batch × handler time` well under `ackWaitMs`.
   */
  readonly batch?: number;
  /** How long one pull request stays open on the server (≥ 1000). Default 5 s. */
  readonly fetchExpiresMs?: number;
  /** Turns the message into what the handler gets. Default: `decodeEvent`. A throw dead-letters at once. */
  readonly decode?: (msg: JsMsg) => T;
  readonly logger?: MessagingLogger;
}

/** One message at a time: the default mode. */
export interface SingleMessageOptions<T> {
  readonly handler: MessageHandler<T>;
  readonly batchHandler?: undefined;
}

/**
 * Batch mode: up to `maxBatch` messages at once, gathered for at most
 * `maxWaitMs` after the first one arrives. Per message the semantics stay those
 * of the single mode: a message past `maxDeliver` or one `decode` refuses is
 * dead-lettered on its own and left out of the batch; the rest go to
 * `batchHandler` together and are all acked when it returns, or all nacked with
 * their own backoff when it throws. So the handler must be idempotent per
 * message (a retry repeats the whole batch); a `MessagingError(Unprocessable |
 * InvalidMessage)` from it dead-letters EVERY message of the batch, so throw
 * one only when it applies to all of them.
 */
export interface BatchMessageOptions<T> {
  readonly batchHandler: BatchMessageHandler<T>;
  readonly handler?: undefined;
  /** At most this many messages per `batchHandler` call. Default 500. */
  readonly maxBatch?: number;
  /** How long to wait for more messages after the first of a batch. Default 20 ms. */
  readonly maxWaitMs?: number;
}

export type RunConsumerOptions<T = DeliveredEvent> = ConsumerBaseOptions<T> & (SingleMessageOptions<T> | BatchMessageOptions<T>);

const tracer = trace.getTracer('@steward/messaging');

function defaultBackoff(attempt: number): number {
  return Math.min(1000 * 2 ** Math.max(0, attempt - 1), 60_000);
}

function headerValue(text: string): string {
  const single = text.replace(/[\r\n]+/g, ' ').trim();
  return single.length > 1000 ? `${single.slice(0, 997)}...` : single;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * A durable pull consumer with explicit acks. A handler that throws gets the
 * message again after a backoff; after `maxDeliver` attempts (or at once for
 * `MessagingError(Unprocessable | InvalidMessage)`) the message is copied to
 * `<p>dlq.<durable>` with the reason in headers and terminated. Each message is
 * handled inside the trace context its headers carry, in a consumer span.
 */
export class DurableConsumer<T = DeliveredEvent> {
  private readonly maxDeliver: number;
  private readonly ackWaitMs: number;
  private readonly batch: number;
  private readonly fetchExpiresMs: number;
  private readonly deadLetterSubject: string;
  private readonly logger: MessagingLogger;
  private readonly decode: (msg: JsMsg) => T;
  private readonly maxBatch: number;
  private readonly maxWaitMs: number;
  private stopping = false;
  private current: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(private readonly options: RunConsumerOptions<T>) {
    this.maxDeliver = options.maxDeliver ?? 5;
    this.ackWaitMs = options.ackWaitMs ?? 30_000;
    this.maxBatch = options.batchHandler ? (options.maxBatch ?? 500) : 1;
    this.maxWaitMs = options.batchHandler ? (options.maxWaitMs ?? 20) : 0;
    this.batch = options.batch ?? (options.batchHandler ? this.maxBatch : 10);
    this.fetchExpiresMs = Math.max(1000, options.fetchExpiresMs ?? 5_000);
    this.deadLetterSubject = natsNames(options.prefix ?? '').deadLetterSubject(options.durable);
    this.logger = options.logger ?? stderrLogger;
    this.decode = options.decode ?? ((msg: JsMsg) => decodeEvent(msg.data) as T);
    if (!Number.isInteger(this.maxDeliver) || this.maxDeliver < 1) {
      throw new MessagingError(MessagingErrorCode.InvalidArgument, `maxDeliver must be a positive integer, got ${this.maxDeliver}`);
    }
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) {
      throw new MessagingError(MessagingErrorCode.InvalidArgument, `maxBatch must be a positive integer, got ${this.maxBatch}`);
    }
    if (!(this.maxWaitMs >= 0)) {
      throw new MessagingError(MessagingErrorCode.InvalidArgument, `maxWaitMs must not be negative, got ${this.maxWaitMs}`);
    }
    if (!options.handler === !options.batchHandler) {
      throw new MessagingError(MessagingErrorCode.InvalidArgument, 'give exactly one of handler and batchHandler');
    }
  }

  /** Creates or updates the durable consumer on the server. Idempotent; safe from several processes. */
  async ensure(): Promise<ConsumerInfo> {
    const { jsm, stream, durable, filterSubject } = this.options;
    const wanted: Partial<ConsumerConfig> = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: filterSubject,
      ack_wait: nanos(this.ackWaitMs),
      // The server never stops redelivering on its own: this class counts the
      // attempts and dead-letters, so a crash while dead-lettering loses nothing.
      max_deliver: -1,
      max_ack_pending: Math.max(1000, this.batch * 10),
    };
    let info = await consumerInfo(jsm, stream, durable);
    if (!info) {
      try {
        return await jsm.consumers.add(stream, wanted);
      } catch (error) {
        info = await consumerInfo(jsm, stream, durable);
        if (!info) throw error;
      }
    }
    if (info.config.ack_policy !== AckPolicy.Explicit || info.config.deliver_policy !== DeliverPolicy.All) {
      throw new MessagingError(
        MessagingErrorCode.IncompatibleConfiguration,
        `consumer ${stream}/${durable} exists with ack policy ${info.config.ack_policy} and deliver policy ` +
          `${info.config.deliver_policy}; delete it to recreate it`,
        { stream, durable },
      );
    }
    if (
      info.config.filter_subject === wanted.filter_subject &&
      info.config.ack_wait === wanted.ack_wait &&
      info.config.max_deliver === wanted.max_deliver &&
      info.config.max_ack_pending === wanted.max_ack_pending
    ) {
      return info;
    }
    return jsm.consumers.update(stream, durable, {
      filter_subject: filterSubject,
      ack_wait: wanted.ack_wait,
      max_deliver: wanted.max_deliver,
      max_ack_pending: wanted.max_ack_pending,
    });
  }

  /** Ensures the consumer, then handles messages until `stop()`. */
  async start(): Promise<void> {
    if (this.loop) return;
    await this.ensure();
    this.stopping = false;
    this.loop = this.run();
  }

  /**
   * Stops pulling, lets the message in hand finish, and hands back (nak) the
   * buffered ones not started. A message still in transit when the pull closes
   * comes back after the ack wait.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    await this.current?.close();
    await this.loop;
    this.loop = undefined;
  }

  private async run(): Promise<void> {
    const { js, stream, durable } = this.options;
    while (!this.stopping) {
      try {
        const consumer = await js.consumers.get(stream, durable);
        // consume(), not fetch(): it keeps pulling as the buffer drains and, unlike
        // fetch(), does not give up on missed heartbeats while a slow handler
        // works through the batch (which would strand the rest until ack wait).
        const messages = await consumer.consume({ max_messages: this.batch, expires: this.fetchExpiresMs });
        this.current = messages;
        if (this.stopping) await messages.close();
        const { handler, batchHandler } = this.options;
        if (batchHandler) {
          await this.runBatches(messages, batchHandler);
          continue;
        }
        for await (const msg of messages) {
          if (this.stopping) {
            msg.nak();
            continue;
          }
          await this.handle(msg, handler!);
        }
      } catch (error) {
        if (this.stopping) break;
        this.logger.warn({ err: describe(error), stream, durable }, 'consumer pull failed; retrying');
        await this.pause(1000);
      } finally {
        this.current = undefined;
      }
    }
  }

  /**
   * Gathers up to `maxBatch` messages (waiting at most `maxWaitMs` after the
   * first) and hands them over together, until the pull ends. The one pending
   * `next()` survives a wait that timed out: it starts the following batch.
   */
  private async runBatches(messages: ConsumerMessages, handler: BatchMessageHandler<T>): Promise<void> {
    const iterator = messages[Symbol.asyncIterator]();
    let next: Promise<IteratorResult<JsMsg>> | undefined;
    const pull = (): Promise<IteratorResult<JsMsg>> => {
      const pending = iterator.next();
      // Awaited later, perhaps after it settles: never an unhandled rejection meanwhile.
      pending.catch(() => undefined);
      return pending;
    };
    let done = false;
    while (!done) {
      next ??= pull();
      const first = await next;
      next = undefined;
      if (first.done) break;
      const batch: JsMsg[] = [first.value];
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), this.maxWaitMs);
      });
      try {
        while (batch.length < this.maxBatch && !this.stopping) {
          next ??= pull();
          const result = await Promise.race([next, timedOut]);
          if (result === 'timeout') break;
          next = undefined;
          if (result.done) {
            done = true;
            break;
          }
          batch.push(result.value);
        }
      } finally {
        clearTimeout(timer);
      }
      if (this.stopping) {
        for (const msg of batch) msg.nak();
        continue;
      }
      await this.handleBatch(batch, handler);
    }
  }

  private async handleBatch(batch: readonly JsMsg[], handler: BatchMessageHandler<T>): Promise<void> {
    const subject = batch[0]!.subject;
    const links: Link[] = [];
    for (const msg of batch) {
      if (!msg.headers) continue;
      const linked = trace.getSpanContext(extractFromNatsHeaders(msg.headers));
      if (linked) links.push({ context: linked });
    }
    await tracer.startActiveSpan(
      `${subject} process`,
      {
        kind: SpanKind.CONSUMER,
        links,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'process',
          'messaging.destination.name': subject,
          'messaging.consumer.group.name': this.options.durable,
          'messaging.batch.message_count': batch.length,
        },
      },
      async (span) => {
        try {
          await this.attemptBatch(batch, handler);
        } catch (error) {
          span.recordException(error instanceof Error ? error : new Error(String(error)));
          span.setStatus({ code: SpanStatusCode.ERROR, message: describe(error) });
        } finally {
          span.end();
        }
      },
    );
  }

  /** Throws the handler's error (after nak or dead-letter of each message) so the span records it. */
  private async attemptBatch(batch: readonly JsMsg[], handler: BatchMessageHandler<T>): Promise<void> {
    const msgs: JsMsg[] = [];
    const decoded: T[] = [];
    for (const msg of batch) {
      const attempt = msg.info.deliveryCount;
      if (attempt > this.maxDeliver) {
        await this.deadLetter(
          msg,
          `delivered ${attempt} times without being acknowledged (ack wait expired or the consumer stopped)`,
        );
        continue;
      }
      try {
        decoded.push(this.decode(msg));
      } catch (error) {
        await this.deadLetter(msg, `undecodable: ${describe(error)}`);
        continue;
      }
      msgs.push(msg);
    }
    if (msgs.length === 0) return;
    const heartbeat = setInterval(() => {
      for (const msg of msgs) msg.working();
    }, Math.max(500, Math.floor(this.ackWaitMs / 2)));
    try {
      await handler(msgs, decoded);
    } catch (error) {
      clearInterval(heartbeat);
      const permanent =
        MessagingError.is(error, MessagingErrorCode.Unprocessable) ||
        MessagingError.is(error, MessagingErrorCode.InvalidMessage);
      for (const msg of msgs) {
        const attempt = msg.info.deliveryCount;
        if (permanent || attempt >= this.maxDeliver) await this.deadLetter(msg, describe(error));
        else msg.nak(this.backoff(attempt));
      }
      throw error;
    } finally {
      clearInterval(heartbeat);
    }
    for (const msg of msgs) msg.ack();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private async handle(msg: JsMsg, handler: MessageHandler<T>): Promise<void> {
    const attempt = msg.info.deliveryCount;
    const parent = extractFromNatsHeaders(msg.headers);
    await context.with(parent, () =>
      tracer.startActiveSpan(
        `${msg.subject} process`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'nats',
            'messaging.operation.type': 'process',
            'messaging.destination.name': msg.subject,
            'messaging.consumer.group.name': this.options.durable,
            'messaging.message.id': msg.headers?.get('Nats-Msg-Id') ?? '',
            'messaging.nats.delivery_count': attempt,
            'messaging.nats.stream_sequence': msg.info.streamSequence,
          },
        },
        async (span) => {
          try {
            await this.attempt(msg, attempt, handler);
          } catch (error) {
            span.recordException(error instanceof Error ? error : new Error(String(error)));
            span.setStatus({ code: SpanStatusCode.ERROR, message: describe(error) });
          } finally {
            span.end();
          }
        },
      ),
    );
  }

  /** Throws the handler's error (after nak or dead-letter) so the span records it. */
  private async attempt(msg: JsMsg, attempt: number, handler: MessageHandler<T>): Promise<void> {
    if (attempt > this.maxDeliver) {
      // Earlier attempts ran out of ack time or the process died while dead-lettering.
      await this.deadLetter(
        msg,
        `delivered ${attempt} times without being acknowledged (ack wait expired or the consumer stopped)`,
      );
      return;
    }
    let decoded: T;
    try {
      decoded = this.decode(msg);
    } catch (error) {
      await this.deadLetter(msg, `undecodable: ${describe(error)}`);
      throw error;
    }
    const heartbeat = setInterval(() => msg.working(), Math.max(500, Math.floor(this.ackWaitMs / 2)));
    try {
      await handler(msg, decoded);
    } catch (error) {
      clearInterval(heartbeat);
      const permanent =
        MessagingError.is(error, MessagingErrorCode.Unprocessable) ||
        MessagingError.is(error, MessagingErrorCode.InvalidMessage);
      if (permanent || attempt >= this.maxDeliver) {
        await this.deadLetter(msg, describe(error));
      } else {
        msg.nak(this.backoff(attempt));
      }
      throw error;
    } finally {
      clearInterval(heartbeat);
    }
    msg.ack();
  }

  private backoff(attempt: number): number {
    const table = this.options.backoffMs;
    if (!table || table.length === 0) return defaultBackoff(attempt);
    return table[Math.min(attempt, table.length) - 1]!;
  }

  private async deadLetter(msg: JsMsg, reason: string): Promise<void> {
    const { stream, durable } = this.options;
    const headers = deadLetterHeaders(msg, durable, reason);
    try {
      await this.options.js.publish(this.deadLetterSubject, msg.data, {
        // One dead letter per (stream message, consumer), however often this runs.
        msgID: `${msg.info.stream}.${msg.info.streamSequence}.${durable}`,
        headers,
      });
    } catch (error) {
      this.logger.error(
        { err: describe(error), stream, durable, streamSequence: msg.info.streamSequence },
        'dead-lettering failed; the message will be redelivered',
      );
      msg.nak(this.backoff(this.maxDeliver));
      return;
    }
    this.logger.warn(
      { stream, durable, subject: msg.subject, streamSequence: msg.info.streamSequence, reason },
      'message dead-lettered',
    );
    // No reason argument: servers before 2.11 do not accept one; the reason is in the dead letter.
    msg.term();
  }
}

/** Creates a durable consumer and starts handling messages; `stop()` it to finish. */
export async function runConsumer<T = DeliveredEvent>(options: RunConsumerOptions<T>): Promise<DurableConsumer<T>> {
  const consumer = new DurableConsumer<T>(options);
  await consumer.start();
  return consumer;
}

/** A dead letter's headers: the original message's (but NATS' own), and where, when and why it failed. */
export function deadLetterHeaders(msg: JsMsg, consumer: string, reason: string): MsgHdrs {
  const headers = copyHeaders(msg.headers);
  headers.set(DeadLetterHeaders.Reason, headerValue(reason) || 'unknown');
  headers.set(DeadLetterHeaders.Subject, msg.subject);
  headers.set(DeadLetterHeaders.Stream, msg.info.stream);
  headers.set(DeadLetterHeaders.StreamSequence, String(msg.info.streamSequence));
  headers.set(DeadLetterHeaders.DeliveryCount, String(msg.info.deliveryCount));
  headers.set(DeadLetterHeaders.Consumer, consumer);
  headers.set(DeadLetterHeaders.FailedAt, new Date().toISOString());
  return headers;
}

function copyHeaders(source: MsgHdrs | undefined): MsgHdrs {
  const copy = natsHeaders();
  if (!source) return copy;
  for (const [key, values] of source) {
    if (key.toLowerCase().startsWith('nats-')) continue;
    for (const value of values) copy.append(key, value);
  }
  return copy;
}

async function consumerInfo(jsm: JetStreamManager, stream: string, durable: string): Promise<ConsumerInfo | undefined> {
  try {
    return await jsm.consumers.info(stream, durable);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound) return undefined;
    throw error;
  }
}
