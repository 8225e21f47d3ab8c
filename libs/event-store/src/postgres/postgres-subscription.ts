import { type GlobalPosition, type SumBatch, type SumSubscription, type Subscription, type SubscriptionBatch, comparePositions } from '../event-store.port';
import type { PostgresNotifier } from './postgres-notifier';
import type { PostgresReadAllPage, PostgresSumAllPage } from './postgres-event-store';

/** What a subscription needs of a page: where it ends, whether it reached the end, whether rows wait behind an open transaction. */
interface PageShape {
  readonly checkpoint: GlobalPosition;
  readonly isEnd: boolean;
  readonly heldBack: boolean;
}

export interface PostgresSubscriptionOptions<P extends PageShape = PostgresReadAllPage> {
  readonly read: (from: GlobalPosition) => Promise<P>;
  /** Whether a notification naming these appended event types may concern it (default: every notification does). */
  readonly concerns?: ((types: readonly string[]) => boolean) | undefined;
  readonly notifier: PostgresNotifier;
  readonly from: GlobalPosition;
  readonly pollIntervalMs: number;
  readonly onClose: (subscription: { close(): Promise<void> }) => void;
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
export abstract class PostgresPagedSubscription<P extends PageShape, B> implements AsyncIterable<B> {
  private closed = false;
  private dirty = false;
  private wakeUp: (() => void) | undefined;
  private registered = false;
  private iterator: AsyncGenerator<B> | undefined;
  private readonly listener = (types?: readonly string[]) => {
    // appends of types it does not read: nothing to read (its checkpoint moves past them with its next read)
    if (types && this.options.concerns && !this.options.concerns(types)) return;
    this.dirty = true;
    this.wakeUp?.();
  };

  constructor(private readonly options: PostgresSubscriptionOptions<P>) {}

  /** Whether a page carries anything to hand out even when its checkpoint did not move. */
  protected abstract hasContent(page: P): boolean;
  protected abstract batchOf(page: P): B;

  [Symbol.asyncIterator](): AsyncIterator<B> {
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

  private async *run(): AsyncGenerator<B> {
    if (this.closed) return;
    // Listen before the first read so no notification falls between read and wait.
    this.registered = true;
    await this.options.notifier.add(this.listener);
    let position = this.options.from;
    let announcedCaughtUp = false;
    let heldBackDelay = 0;
    // The next page, read while the consumer handles this one (catching up: the
    // server's part of a read overlaps with the consumer's writes).
    let next: Promise<P> | undefined;
    try {
      while (!this.closed) {
        let page: P;
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
        if (this.hasContent(page) || advanced || (page.isEnd && !announcedCaughtUp)) {
          position = page.checkpoint;
          announcedCaughtUp = page.isEnd;
          yield this.batchOf(page);
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

/** subscribeToAll's subscription: pages of events. */
export class PostgresSubscription extends PostgresPagedSubscription<PostgresReadAllPage, SubscriptionBatch> implements Subscription {
  protected hasContent(page: PostgresReadAllPage): boolean {
    return page.events.length > 0;
  }

  protected batchOf(page: PostgresReadAllPage): SubscriptionBatch {
    return { events: page.events, checkpoint: page.checkpoint, caughtUp: page.isEnd };
  }
}

/** subscribeToSums' subscription: pages folded by the server. */
export class PostgresSumSubscription extends PostgresPagedSubscription<PostgresSumAllPage, SumBatch> implements SumSubscription {
  protected hasContent(page: PostgresSumAllPage): boolean {
    return page.groups.length > 0;
  }

  protected batchOf(page: PostgresSumAllPage): SumBatch {
    return { groups: page.groups, checkpoint: page.checkpoint, caughtUp: page.isEnd };
  }
}
