import { createHash, randomUUID } from 'node:crypto';
import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import type { Logger } from '@steward/observability';
import {
  MAX_READS_PER_MESSAGE,
  RESOURCE_READS,
  activityReadsSubject,
  resourceRead,
  type ResourceRead,
  type ResourceReadBatch,
  type ResourceReadInput,
} from '@steward/team-rbac';

/** How long a read waits for the next publish round (longer: fewer, larger messages, inserts and commits downstream). */
export const ACTIVITY_FLUSH_INTERVAL_MS = 20;
/** Reads held at most (waiting or being retried); past it the oldest are dropped, with a warning. */
export const ACTIVITY_MAX_BUFFERED = 20_000;
/** Reads per publish round. */
export const ACTIVITY_MAX_BATCH = 500;
/** Wait before publishing again after a round with failures. */
export const ACTIVITY_RETRY_DELAY_MS = 500;
/** A read not acknowledged by JetStream within this is published again. */
export const ACTIVITY_ACK_TIMEOUT_MS = 5_000;
/** Distinct reads (all but id and time) whose validated form is kept. */
export const ACTIVITY_CHECKED_SHAPES = 1_000;

export interface ActivityReadBufferDeps {
  readonly nc: NatsConnection;
  readonly natsPrefix: string;
  readonly logger?: Logger;
  readonly flushIntervalMs?: number;
  readonly maxBuffered?: number;
  readonly maxBatch?: number;
  readonly retryDelayMs?: number;
  readonly ackTimeoutMs?: number;
}

interface Round {
  /** Reply token → the reads of that message. */
  readonly waiting: Map<string, readonly ResourceRead[]>;
  readonly failed: ResourceRead[];
  readonly done: () => void;
}

/**
 * Where the gateway's routes record Fetch / Fetch All reads: `record()`
 * returns at once (the response never waits for NATS); every few ms the
 * reads gathered meanwhile are published to `<p>activity.reads` together, as
 * `ResourceReads` batch messages of up to MAX_READS_PER_MESSAGE reads (one
 * message, one JetStream write and one ack per batch, not per read), each with
 * a `Nats-Msg-Id` derived from its reads' ids and a reply subject on one inbox
 * subscription, where JetStream's acks come back (what `js.publish` does,
 * without a request, timer and error object per message). The reads of a
 * message whose ack is an error, a "no responders" or missing after
 * `ackTimeoutMs` stay in the buffer and are published again (the stream
 * de-duplicates the same batch; the consumer records each read id once):
 * at least once, as long as the process lives and the buffer stays under
 * `maxBuffered`. `close()` publishes what is left.
 */
export class ActivityReadBuffer {
  private readonly subject: string;
  private pending: ResourceRead[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private dropped = 0;
  private closed = false;
  private readonly flushIntervalMs: number;
  private readonly maxBuffered: number;
  private readonly maxBatch: number;
  private readonly retryDelayMs: number;
  private readonly ackTimeoutMs: number;
  private readonly inbox = createInbox();
  private acks: Subscription | undefined;
  private round: Round | undefined;
  private sequence = 0;
  /** Reads of the round being published (back in `pending` if not acknowledged). */
  private publishing = 0;
  private readonly checked = new Map<string, ResourceRead>();

  constructor(private readonly deps: ActivityReadBufferDeps) {
    this.subject = activityReadsSubject(deps.natsPrefix);
    this.flushIntervalMs = deps.flushIntervalMs ?? ACTIVITY_FLUSH_INTERVAL_MS;
    this.maxBuffered = deps.maxBuffered ?? ACTIVITY_MAX_BUFFERED;
    this.maxBatch = deps.maxBatch ?? ACTIVITY_MAX_BATCH;
    this.retryDelayMs = deps.retryDelayMs ?? ACTIVITY_RETRY_DELAY_MS;
    this.ackTimeoutMs = deps.ackTimeoutMs ?? ACTIVITY_ACK_TIMEOUT_MS;
  }

  /** Queues one read (validated now, its id and time fixed now). Never throws: an invalid read is logged. */
  record(input: ResourceReadInput): ResourceRead | undefined {
    let entry: ResourceRead;
    try {
      entry = this.entryOf(input);
    } catch (error) {
      this.deps.logger?.warn({ err: error, resourceType: input.resourceType, action: input.action }, 'activity read not recorded');
      return undefined;
    }
    if (this.pending.length >= this.maxBuffered) {
      this.pending.shift();
      this.dropped += 1;
      if (this.dropped === 1 || this.dropped % 1000 === 0) {
        this.deps.logger?.warn({ dropped: this.dropped, maxBuffered: this.maxBuffered }, 'activity reads dropped: the buffer is full (NATS unreachable?)');
      }
    }
    this.pending.push(entry);
    this.schedule(this.flushIntervalMs);
    return entry;
  }

  /**
   * The read as resourceRead() makes it. A hot route records the same read (who, what, where) again and
   * again with only a new id and time, both valid by construction: its validated form is kept (by its
   * JSON) and copied with the new id and time, instead of being parsed again on every request.
   */
  private entryOf(input: ResourceReadInput): ResourceRead {
    if (input.id !== undefined || input.occurredAt !== undefined) return resourceRead(input);
    const key = JSON.stringify(input);
    const checked = this.checked.get(key);
    if (checked !== undefined) return { ...checked, id: randomUUID(), occurredAt: new Date().toISOString() };
    const entry = resourceRead(input);
    if (this.checked.size >= ACTIVITY_CHECKED_SHAPES) this.checked.clear();
    this.checked.set(key, entry);
    return entry;
  }

  /** Reads held: waiting, being published, or to be published again; 0 once every one was acknowledged. */
  get size(): number {
    return this.pending.length + this.publishing;
  }

  /** Publishes what is buffered, for at most `timeoutMs`; later `record()` calls still publish. */
  async close(timeoutMs = 5_000): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await this.flushing;
      if (this.pending.length === 0) break;
      const round = this.flush();
      await round;
      if (this.pending.length > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(this.retryDelayMs, Math.max(0, deadline - Date.now()))));
    }
    if (this.pending.length > 0) this.deps.logger?.warn({ left: this.pending.length }, 'activity reads not published before stopping');
    this.acks?.unsubscribe();
    this.acks = undefined;
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined || this.flushing !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
    if (!this.closed) this.timer.unref();
  }

  private flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    const batch = this.pending.splice(0, this.maxBatch);
    if (batch.length === 0) return Promise.resolve();
    this.publishing = batch.length;
    this.flushing = (async () => {
      const failed = await this.publishRound(batch);
      this.publishing = 0;
      if (failed.length > 0) {
        this.deps.logger?.warn({ failed: failed.length }, 'activity reads not acknowledged; retrying');
        this.pending = [...failed, ...this.pending].slice(-this.maxBuffered);
      }
      this.flushing = undefined;
      if (this.pending.length > 0 && !this.closed) this.schedule(failed.length > 0 ? this.retryDelayMs : 0);
    })();
    return this.flushing;
  }

  /** Publishes a batch; resolves with the reads that were not acknowledged. */
  private publishRound(batch: readonly ResourceRead[]): Promise<ResourceRead[]> {
    return new Promise((resolve) => {
      const waiting = new Map<string, readonly ResourceRead[]>();
      const failed: ResourceRead[] = [];
      const timer = setTimeout(() => done(), this.ackTimeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        if (this.round === round) this.round = undefined;
        resolve([...failed, ...[...waiting.values()].flat()]);
      };
      const round: Round = { waiting, failed, done };
      this.round = round;
      try {
        this.acks ??= this.deps.nc.subscribe(`${this.inbox}.*`, { callback: (error, message) => this.acknowledged(error, message) });
        for (let start = 0; start < batch.length; start += MAX_READS_PER_MESSAGE) {
          const reads = batch.slice(start, start + MAX_READS_PER_MESSAGE);
          const header = headers();
          // the same reads → the same id: a batch published again is dropped by JetStream's de-duplication
          header.set('Nats-Msg-Id', createHash('sha256').update(reads.map((read) => read.id).join(',')).digest('base64url'));
          const token = String((this.sequence += 1));
          waiting.set(token, reads);
          const message: ResourceReadBatch = { type: RESOURCE_READS, reads };
          this.deps.nc.publish(this.subject, JSON.stringify(message), { reply: `${this.inbox}.${token}`, headers: header });
        }
      } catch (error) {
        this.deps.logger?.warn({ err: error }, 'activity reads not published');
        done();
      }
    });
  }

  private acknowledged(error: Error | null, message: Msg): void {
    const round = this.round;
    if (error || !round) return;
    const token = message.subject.slice(this.inbox.length + 1);
    const reads = round.waiting.get(token);
    if (reads === undefined) return; // a late ack of an earlier round: those reads are published again, and recorded once
    round.waiting.delete(token);
    if (!isAck(message)) round.failed.push(...reads);
    if (round.waiting.size === 0) round.done();
  }
}

/** A JetStream PubAck (`{ stream, seq }`), not an error answer nor a "no responders" status. */
function isAck(message: Msg): boolean {
  if (message.headers?.hasError || message.data.length === 0) return false;
  try {
    const answer = message.json<{ stream?: unknown; error?: unknown }>();
    return answer.error === undefined && typeof answer.stream === 'string';
  } catch {
    return false;
  }
}
