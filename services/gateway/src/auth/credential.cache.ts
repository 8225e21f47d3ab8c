/** How long a looked-up credential or membership list is reused without any invalidation (the backstop). */
export const CREDENTIAL_CACHE_TTL_MS = 5_000;
/** Past this many entries the cache starts over (a flood of unknown credentials cannot grow it without bound). */
export const CREDENTIAL_CACHE_MAX_ENTRIES = 50_000;

export interface CredentialCacheOptions {
  readonly ttlMs?: number;
  readonly maxEntries?: number;
  /** Milliseconds; default Date.now. */
  readonly now?: () => number;
  /**
   * While this answers false the cache is bypassed (every lookup goes to the database, nothing is kept):
   * the gateway's replica lease (ReplicaSync) — a replica that could miss an invalidation never serves
   * from its cache. Default: always trusted.
   */
  readonly trusted?: () => boolean;
}

interface Entry {
  readonly value: unknown;
  readonly expiresAt: number;
}

/**
 * A short-lived cache of what authentication looks up on every request
 * (credential records, memberships), cleared at once by `invalidate()`. The
 * gateway invalidates it whenever the team projection has applied a batch
 * (its progress notice: the read model already shows the change, so a lookup
 * right after reads the new state), and before any team write through any
 * replica answers (ReplicaSync). A change the gateway hears nothing about
 * (a user token revoked straight in the database) takes at most
 * CREDENTIAL_CACHE_TTL_MS.
 *
 * Concurrent lookups of one key share one load. A load that started before an
 * invalidation is answered but not kept.
 */
export class CredentialCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<unknown>>();
  private generation = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly trusted: () => boolean;

  constructor(options: CredentialCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? CREDENTIAL_CACHE_TTL_MS;
    this.maxEntries = options.maxEntries ?? CREDENTIAL_CACHE_MAX_ENTRIES;
    this.now = options.now ?? Date.now;
    this.trusted = options.trusted ?? (() => true);
  }

  /** The cached value of `key`, else `load()`'s (kept for the TTL unless an invalidation came in between). */
  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (this.ttlMs <= 0) return load();
    if (!this.trusted()) {
      if (this.entries.size > 0) this.invalidate();
      return load();
    }
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
        if (generation === this.generation && this.trusted()) {
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

  /** Forgets everything, and keeps no load that is under way. */
  invalidate(): void {
    this.generation += 1;
    this.entries.clear();
    this.loading.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
