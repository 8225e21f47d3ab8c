import { type GlobalPosition, type Subscription, type SubscriptionBatch, comparePositions } from '../event-store.port';
import type { PostgresNotifier } from './postgres-notifier';
import type { PostgresReadAllPage } from './postgres-event-store';

export interface PostgresSubscriptionOptions {
  readonly read: (from: GlobalPosition) => Promise<PostgresReadAllPage>;
  readonly notifier: PostgresNotifier;
  readonly from: GlobalPosition;
  readonly pollIntervalMs: number;
  readonly onClose: (subscription: PostgresSubscription) => void;
}

/** First retry delay after a read found committed rows held back by an older open transaction. */
const HELD_BACK_FIRST_RETRY_MS = 25;
/** The retry backs off to this (or the poll interval, if shorter) while rows stay held back. */
const HELD_BACK_MAX_RETRY_MS = 500;

/**
 * Catch-up by pages, then live: woken by NOTIFY, with a fallback poll, and a
 * quick retry (backing off to the poll interval) while committed rows wait
 * behind an open transaction. Pull-based, one page ahead: while catching up,
 * the page after the one handed out is read as the consumer handles it; at the
 * end of the store, the next read waits for the consumer to ask.
 */
export class PostgresSubscription implements Subscription {
  private closed = false;
  private dirty = false;
  private wakeUp: (() => void) | undefined;
  private registered = false;
  private iterator: AsyncGenerator<SubscriptionBatch> | undefined;
  private readonly listener = () => {
    this.dirty = true;
    this.wakeUp?.();
  };

  constructor(private readonly options: PostgresSubscriptionOptions) {}

  [Symbol.asyncIterator](): AsyncIterator<SubscriptionBatch> {
    this.iterator ??= this.run();
    return this.iterator;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeUp?.();
    this.options.onClose(this);
    await this.unregister();
  }

  private async *run(): AsyncGenerator<SubscriptionBatch> {
    if (this.closed) return;
    // Listen before the first read so no notification falls between read and wait.
    this.registered = true;
    await this.options.notifier.add(this.listener);
    let position = this.options.from;
    let announcedCaughtUp = false;
    let heldBackDelay = 0;
    // The next page, read while the consumer handles this one (catching up: the
    // server's part of a read overlaps with the consumer's writes).
    let next: Promise<PostgresReadAllPage> | undefined;
    try {
      while (!this.closed) {
        let page: PostgresReadAllPage;
        if (next) {
          page = await next;
          next = undefined;
        } else {
          this.dirty = false;
          page = await this.options.read(position);
        }
        if (this.closed) return;
        if (!page.isEnd) {
          this.dirty = false;
          next = this.options.read(page.checkpoint);
          // Observed when awaited; never left unhandled when the consumer stops first.
          next.catch(() => undefined);
        }
        const advanced = comparePositions(page.checkpoint, position) > 0;
        if (page.events.length > 0 || advanced || (page.isEnd && !announcedCaughtUp)) {
          position = page.checkpoint;
          announcedCaughtUp = page.isEnd;
          yield { events: page.events, checkpoint: page.checkpoint, caughtUp: page.isEnd };
          if (this.closed) return;
        }
        if (!page.isEnd || this.dirty) continue;
        let waitMs = this.options.pollIntervalMs;
        if (page.heldBack) {
          heldBackDelay = heldBackDelay === 0 ? HELD_BACK_FIRST_RETRY_MS : Math.min(heldBackDelay * 2, HELD_BACK_MAX_RETRY_MS);
          waitMs = Math.min(heldBackDelay, waitMs);
        } else {
          heldBackDelay = 0;
        }
        await this.wait(waitMs);
      }
    } finally {
      await this.unregister();
    }
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
      if (this.closed || this.dirty) done();
    });
  }

  private async unregister(): Promise<void> {
    if (!this.registered) return;
    this.registered = false;
    await this.options.notifier.remove(this.listener);
  }
}
