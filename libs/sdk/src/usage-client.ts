import { randomUUID } from 'node:crypto';
import type { UsageEventInput } from './contracts.js';
import { fullJitterDelay, isRetryable, retryAfterMs } from './backoff.js';

/** The most events one request carries (the gateway's limit). */
export const MAX_BATCH_SIZE = 10_000;

export interface StewardUsageClientOptions {
  /** The gateway, e.g. `https://steward.example.com` (no trailing `/v1`). */
  readonly baseUrl: string;
  /** An API key of the workspace with the `usage:write` scope (`stw_…`). */
  readonly apiKey: string;
  readonly workspaceId: string;
  /** The `source` of events recorded without one (the agent or service name). Default `steward-sdk`. */
  readonly source?: string;
  /** Events per request; a full batch is sent at once. Default 500, at most 10,000. */
  readonly maxBatchSize?: number;
  /** How long a recorded event may wait for its batch to fill. Default 1,000 ms. */
  readonly flushIntervalMs?: number;
  /** Retries of one request after the first attempt (on 429, 5xx, network errors, timeouts). Default 8. */
  readonly maxRetries?: number;
  /** The first backoff ceiling; it doubles per retry up to maxBackoffMs, the wait is drawn in [0, ceiling). Default 250 ms. */
  readonly initialBackoffMs?: number;
  /** Default 30,000 ms. */
  readonly maxBackoffMs?: number;
  /** Per request. Default 30,000 ms. */
  readonly requestTimeoutMs?: number;
  /** Events held (queued and in flight) before `record` throws: backpressure instead of unbounded memory. Default 100,000. */
  readonly maxQueuedEvents?: number;
  /**
   * Flush when the process is about to exit on its own (`beforeExit`; not on a signal or `process.exit`:
   * call `close()` from your shutdown handler). Default false.
   */
  readonly flushOnExit?: boolean;
  /** Told about events Steward refused (4xx, or items of a 202 listed in `errors`), and about batches given up for now. */
  readonly onError?: (error: UsageDeliveryError) => void;
  /** For tests and custom transports. Default the global fetch. */
  readonly fetch?: typeof fetch;
  /** For tests. Default setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** For tests. Default Math.random. */
  readonly random?: () => number;
}

/** A usage event as the caller records it: id, source and time may be left to the client. */
export type RecordedUsage = Omit<UsageEventInput, 'id' | 'source' | 'time'> & {
  /** Stable per call: set it when the caller has its own id (a provider's response id); default a new UUID. */
  readonly id?: string;
  readonly source?: string;
  /** ISO 8601 with an offset, or a Date. Default: when `record` is called. */
  readonly time?: string | Date;
};

/** The event as sent: a new UUID when the caller gave no id, `source` defaulted, `time` now when absent. */
export function toUsageEvent(usage: RecordedUsage, defaultSource = 'steward-sdk'): UsageEventInput {
  const { id, source, time, ...rest } = usage;
  return {
    ...rest,
    id: id ?? randomUUID(),
    source: source ?? defaultSource,
    time: time === undefined ? new Date().toISOString() : typeof time === 'string' ? time : time.toISOString(),
  };
}

export enum UsageDeliveryErrorCode {
  /** Steward refused the request (a 4xx other than 429): sending it again would not help; the events are dropped. */
  Refused = 'REFUSED',
  /** Items of an accepted batch were invalid (listed in `itemErrors`); the others were recorded. */
  ItemsRejected = 'ITEMS_REJECTED',
  /** Retries ran out (429, 5xx, network): the events stay queued for the next flush. */
  RetriesExhausted = 'RETRIES_EXHAUSTED',
  /** `close()` finished with events still undelivered. */
  Undelivered = 'UNDELIVERED',
}

export class UsageDeliveryError extends Error {
  constructor(
    readonly code: UsageDeliveryErrorCode,
    message: string,
    /** The events concerned (for ItemsRejected: the rejected ones). */
    readonly events: readonly UsageEventInput[],
    readonly status?: number,
    readonly itemErrors: ReadonlyArray<{ index: number; field: string; reason: string }> = [],
  ) {
    super(message);
    this.name = 'UsageDeliveryError';
  }
}

export class UsageClientClosedError extends Error {
  readonly code = 'CLIENT_CLOSED';
  constructor() {
    super('the usage client is closed');
    this.name = 'UsageClientClosedError';
  }
}

export class UsageQueueFullError extends Error {
  readonly code = 'QUEUE_FULL';
  constructor(limit: number) {
    super(`the usage client holds ${limit} undelivered events (maxQueuedEvents): Steward is not keeping up or unreachable`);
    this.name = 'UsageQueueFullError';
  }
}

export interface FlushResult {
  /** Events Steward accepted (durably queued for metering). */
  readonly accepted: number;
  /** Events Steward refused (invalid items, or a refused request). */
  readonly rejected: number;
  /** Events still queued because retries ran out. */
  readonly pending: number;
}

interface Batch {
  readonly events: UsageEventInput[];
  /** Sent as Idempotency-Key: the same for every retry of this batch. */
  readonly key: string;
}

interface Outcome {
  readonly accepted: number;
  readonly rejected: number;
  readonly retry: boolean;
}

function abortAfter(ms: number): { signal: AbortSignal; cancel: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${ms} ms`)), ms);
  timer.unref?.();
  return { signal: controller.signal, cancel: () => clearTimeout(timer) };
}

/**
 * Records LLM calls in Steward from an agent: `record()` queues an event
 * (its id generated once, so every retry carries the same id and Steward
 * counts it once), batches go out by size and by time to
 * `POST /v1/workspaces/{wsId}/usage`, with retries (exponential backoff, full
 * jitter, Retry-After honoured) on 429, 5xx and network errors, never on
 * another 4xx. `flush()` sends what is queued; `close()` flushes and stops.
 */
export class StewardUsageClient {
  private readonly queue: UsageEventInput[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<FlushResult> | undefined;
  private closed = false;
  private readonly url: string;
  private readonly batchSize: number;
  private readonly exitHook: (() => void) | undefined;

  constructor(private readonly options: StewardUsageClientOptions) {
    this.batchSize = Math.min(MAX_BATCH_SIZE, Math.max(1, options.maxBatchSize ?? 500));
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/v1/workspaces/${encodeURIComponent(options.workspaceId)}/usage`;
    if (options.flushOnExit) {
      this.exitHook = () => {
        if (this.queue.length > 0 && !this.flushing) void this.flush();
      };
      process.on('beforeExit', this.exitHook);
    }
  }

  /** Events recorded and not yet accepted or refused. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  /** Queues one call; returns its event id. Throws when closed or when maxQueuedEvents are held. */
  record(usage: RecordedUsage): string {
    if (this.closed) throw new UsageClientClosedError();
    const limit = this.options.maxQueuedEvents ?? 100_000;
    if (this.pending >= limit) throw new UsageQueueFullError(limit);
    const event = toUsageEvent(usage, this.options.source);
    this.queue.push(event);
    if (this.queue.length >= this.batchSize) void this.flush();
    else this.timer ??= this.startTimer();
    return event.id;
  }

  /**
   * Sends every queued event (in batches of maxBatchSize, one request at a
   * time) and resolves when each batch was accepted, refused, or gave up
   * after its retries (those events stay queued). Concurrent calls share one run.
   */
  flush(): Promise<FlushResult> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
      if (this.queue.length > 0 && !this.closed) this.timer ??= this.startTimer();
    });
    return this.flushing;
  }

  /** Flushes, then refuses further records. Events still undelivered are reported to onError and returned as `pending`. */
  async close(): Promise<FlushResult> {
    if (this.exitHook) process.off('beforeExit', this.exitHook);
    this.closed = true;
    if (this.flushing) await this.flushing;
    const result = await this.flush();
    if (this.queue.length > 0) {
      this.options.onError?.(
        new UsageDeliveryError(UsageDeliveryErrorCode.Undelivered, `${this.queue.length} events were not delivered before close`, [...this.queue]),
      );
    }
    return result;
  }

  private startTimer(): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.flushIntervalMs ?? 1_000);
    // a timer alone does not keep the process alive (flushOnExit or close() delivers the rest)
    timer.unref();
    return timer;
  }

  private async drain(): Promise<FlushResult> {
    let accepted = 0;
    let rejected = 0;
    const givenUp: UsageEventInput[] = [];
    while (this.queue.length > 0) {
      const batch: Batch = { events: this.queue.splice(0, this.batchSize), key: randomUUID() };
      this.inFlight += batch.events.length;
      let outcome: Outcome;
      try {
        outcome = await this.deliver(batch);
      } finally {
        this.inFlight -= batch.events.length;
      }
      accepted += outcome.accepted;
      rejected += outcome.rejected;
      if (outcome.retry) givenUp.push(...batch.events);
      if (outcome.retry) break; // Steward is not taking more now: keep the rest queued too
    }
    // given-up events go back in front, in order, with their ids: a later send dedupes
    this.queue.unshift(...givenUp);
    return { accepted, rejected, pending: this.queue.length };
  }

  /** One batch with its retries. */
  private async deliver(batch: Batch): Promise<Outcome> {
    const maxRetries = this.options.maxRetries ?? 8;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const body = JSON.stringify({ events: batch.events });
    for (let attempt = 0; ; attempt++) {
      const answer = await this.send(body, batch.key);
      if (answer.status !== undefined && answer.status >= 200 && answer.status < 300) return this.accepted(batch, answer.body);
      if (!isRetryable(answer.status)) {
        this.options.onError?.(
          new UsageDeliveryError(UsageDeliveryErrorCode.Refused, `Steward refused the batch (${answer.status}): ${answer.detail}`, batch.events, answer.status),
        );
        return { accepted: 0, rejected: batch.events.length, retry: false };
      }
      if (attempt >= maxRetries) {
        this.options.onError?.(
          new UsageDeliveryError(
            UsageDeliveryErrorCode.RetriesExhausted,
            `no delivery after ${attempt + 1} attempts (${answer.status ?? answer.detail}); the events stay queued`,
            batch.events,
            answer.status,
          ),
        );
        return { accepted: 0, rejected: 0, retry: true };
      }
      const jittered = fullJitterDelay(attempt, this.options.initialBackoffMs ?? 250, this.options.maxBackoffMs ?? 30_000, this.options.random);
      await sleep(Math.max(jittered, answer.retryAfterMs ?? 0));
    }
  }

  private accepted(batch: Batch, body: unknown): Outcome {
    const answer = (body ?? {}) as { accepted?: number; rejected?: number; errors?: Array<{ index: number; field: string; reason: string }> };
    const rejected = answer.rejected ?? 0;
    if (rejected > 0) {
      const errors = answer.errors ?? [];
      const indexes = [...new Set(errors.map((error) => error.index))];
      this.options.onError?.(
        new UsageDeliveryError(
          UsageDeliveryErrorCode.ItemsRejected,
          `${rejected} of ${batch.events.length} events were invalid`,
          indexes.map((index) => batch.events[index]).filter((event): event is UsageEventInput => event !== undefined),
          202,
          errors,
        ),
      );
    }
    return { accepted: answer.accepted ?? batch.events.length - rejected, rejected, retry: false };
  }

  private async send(body: string, key: string): Promise<{ status?: number; body?: unknown; detail: string; retryAfterMs?: number }> {
    const doFetch = this.options.fetch ?? fetch;
    const timeout = abortAfter(this.options.requestTimeoutMs ?? 30_000);
    try {
      const response = await doFetch(this.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.options.apiKey}`, 'content-type': 'application/json', 'idempotency-key': key },
        body,
        signal: timeout.signal,
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      const detail = (parsed as { detail?: unknown } | undefined)?.detail;
      const wait = retryAfterMs(response.headers.get('retry-after'));
      return { status: response.status, body: parsed, detail: typeof detail === 'string' ? detail : response.statusText, ...(wait !== undefined ? { retryAfterMs: wait } : {}) };
    } catch (error) {
      return { detail: error instanceof Error ? error.message : String(error) };
    } finally {
      timeout.cancel();
    }
  }
}
