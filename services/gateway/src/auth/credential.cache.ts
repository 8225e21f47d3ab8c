/** How long a looked-up credential or membership list is reused without any invalidation (the backstop). */
export const CREDENTIAL_CACHE_TTL_MS = 5_000;
/**
 * After an invalidation, nothing is cached for this long: the event that
 * invalidated reaches the gateway before the projections process has written
 * it to the read model, and a lookup in between would cache the old state.
 */
export const CREDENTIAL_CACHE_SETTLE_MS = 2_000;
/** Past this many entries the cache starts over (a flood of unknown credentials cannot grow it without bound). */
export const CREDENTIAL_CACHE_MAX_ENTRIES = 50_000;

export interface CredentialCacheOptions {
  readonly ttlMs?: number;
  readonly settleMs?: number;
  readonly maxEntries?: number;
  /** Milliseconds; default Date.now. */
  readonly now?: () => number;
}

interface Entry {
  readonly value: unknown;
  readonly expiresAt: number;
}

/**
 * A short-lived cache of what authentication looks up on every request
 * (credential records, memberships), cleared at once by `invalidate()` —
 * the gateway calls it on every team event it sees on NATS and after each
 * of its own successful writes.
 *
 * Worst case for a revocation or a removed membership to take effect:
 * - the read model's own lag (as without a cache) while the projection
 *   applies the event within CREDENTIAL_CACHE_SETTLE_MS of the gateway seeing it;
 * - when the projection is slower than that, up to CREDENTIAL_CACHE_TTL_MS after
 *   the read model shows it;
 * - when the event never reaches the gateway (NATS down, a change made straight
 *   in the database), CREDENTIAL_CACHE_TTL_MS.
 *
 * Concurrent lookups of one key share one load. A load that started before an
 * invalidation is answered but not kept.
 */
export class CredentialCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<unknown>>();
  private generation = 0;
  private quietUntil = 0;
  private readonly ttlMs: number;
  private readonly settleMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: CredentialCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? CREDENTIAL_CACHE_TTL_MS;
    this.settleMs = options.settleMs ?? CREDENTIAL_CACHE_SETTLE_MS;
    this.maxEntries = options.maxEntries ?? CREDENTIAL_CACHE_MAX_ENTRIES;
    this.now = options.now ?? Date.now;
  }

  /** The cached value of `key`, else `load()`'s (kept for the TTL unless an invalidation came in between). */
  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (this.ttlMs <= 0) return load();
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      if (hit.expiresAt > this.now()) return Promise.resolve(hit.value as T);
      this.entries.delete(key);
    }
    const pending = this.loading.get(key);
    if (pending !== undefined) return pending as Promise<T>;
    const generation = this.generation;
    const loaded = load().then(
      (value) => {
        if (this.loading.get(key) === loaded) this.loading.delete(key);
        const now = this.now();
        if (generation === this.generation && now >= this.quietUntil) {
          if (this.entries.size >= this.maxEntries) this.entries.clear();
          this.entries.set(key, { value, expiresAt: now + this.ttlMs });
        }
        return value;
      },
      (error: unknown) => {
        if (this.loading.get(key) === loaded) this.loading.delete(key);
        throw error;
      },
    );
    this.loading.set(key, loaded);
    return loaded;
  }

  /** Forgets everything, and keeps nothing for the settle period. */
  invalidate(): void {
    this.generation += 1;
    this.entries.clear();
    this.loading.clear();
    this.quietUntil = this.now() + this.settleMs;
  }

  get size(): number {
    return this.entries.size;
  }
}
