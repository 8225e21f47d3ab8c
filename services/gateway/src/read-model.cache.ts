import type pg from 'pg';
import { PostgresNotifier } from '@steward/event-store';
import { readModelChannel } from '@steward/projections';

/** Where a cache hears that a projection moved (the gateway's ProjectionProgress). */
export interface ProgressSource {
  /** False while notices may be missed: nothing is served from the cache then. */
  readonly listening: boolean;
  /** Calls `listener` on every move of `projection` and on every reset; returns the unsubscribe. */
  onProgress(projection: string, listener: () => void): () => void;
}

export interface ReadModelCacheOptions {
  readonly pool: pg.Pool;
  /**
   * Hear changes from this source instead of a LISTEN connection of the cache's own: the gateway's one
   * progress listener, which empties the cache before it lets a write that changed the read model answer.
   */
  readonly progress?: ProgressSource;
  /** For the dedicated LISTEN connection; without it one client is taken from the pool for good. */
  readonly connectionString?: string;
  /** Answers kept at most (least recently used leave first). Default 2,000. */
  readonly maxEntries?: number;
  /** A backstop: an answer is never served older than this. Default 30 s. */
  readonly maxAgeMs?: number;
}

interface Entry {
  readonly value: unknown;
  readonly at: number;
}

/**
 * Answers of one projection's read model, kept in the gateway until the read model changes. The
 * projection runner NOTIFYs on `readModelChannel(name)` inside the transaction of every change (a batch
 * applied, a rebuild swapped in), and each notification empties the cache, so an answer is never older
 * than the read model it came from, plus the time a notification takes to arrive.
 *
 * Correctness rules: a query that was running when a notification arrived is answered but not kept
 * (it may have read the state before the change); while the LISTEN connection is down (notifications
 * would be lost) nothing is served from the cache and nothing is kept; reconnecting empties it.
 */
export class ReadModelCache {
  private readonly entries = new Map<string, Entry>();
  private readonly notifier: PostgresNotifier | undefined;
  private readonly progress: ProgressSource | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;
  private generation = 0;
  /** The key put last in `entries` (the most recently used). */
  private lastKey: string | undefined;
  private readonly onChange = (): void => {
    this.generation += 1;
    this.entries.clear();
  };

  constructor(
    readonly projection: string,
    options: ReadModelCacheOptions,
  ) {
    this.progress = options.progress;
    this.notifier = options.progress
      ? undefined
      : new PostgresNotifier({
          pool: options.pool,
          channel: readModelChannel(projection),
          ...(options.connectionString !== undefined ? { connectionString: options.connectionString } : {}),
        });
    this.maxEntries = options.maxEntries ?? 2000;
    this.maxAgeMs = options.maxAgeMs ?? 30_000;
  }

  /** Starts listening; resolves once LISTEN is in place (or failed and is being retried: the cache stays off meanwhile). */
  start(): Promise<void> {
    if (this.progress) {
      this.unsubscribe ??= this.progress.onProgress(this.projection, this.onChange);
      return Promise.resolve();
    }
    return this.notifier!.add(this.onChange);
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.notifier?.close();
    this.onChange();
  }

  /** True while answers may be served from the cache. */
  get active(): boolean {
    return this.progress ? this.unsubscribe !== undefined && this.progress.listening : this.notifier!.listening;
  }

  /** Forgets every kept answer (and any query under way), as a change notice does. */
  clear(): void {
    this.onChange();
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The answer for `key`: the kept one when the read model has not changed since, else `load()`'s
   * (kept when nothing changed while it ran). Callers must not mutate what they get.
   */
  async get<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (!this.active) return load();
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.maxAgeMs) {
      // most recently used last (already there when it was the last one asked for: a hot list)
      if (key !== this.lastKey) {
        this.entries.delete(key);
        this.entries.set(key, hit);
        this.lastKey = key;
      }
      return hit.value as T;
    }
    const generation = this.generation;
    const value = await load();
    if (generation === this.generation && this.active) {
      this.entries.delete(key);
      this.entries.set(key, { value, at: now });
      this.lastKey = key;
      if (this.entries.size > this.maxEntries) {
        const oldest = this.entries.keys().next();
        if (!oldest.done) this.entries.delete(oldest.value);
      }
    }
    return value;
  }
}
