import type { Kysely } from 'kysely';
import pg from 'pg';
import { comparePositions, type GlobalPosition } from '@steward/event-store';
import type { Logger } from '@steward/observability';
import {
  PROJECTION_PROGRESS_CHANNEL,
  decodeProgressNotice,
  filterConcerns,
  readProjectionProgress,
  type ProgressFilter,
  type ProjectionProgressRow,
} from '@steward/projections';

/** The LISTEN connection's application_name (pg_stat_activity). */
export const PROGRESS_APPLICATION_NAME = 'steward-gateway-progress';

/** An event a write appended: its type and stream say which projections read it. */
export interface WrittenEvent {
  readonly type: string;
  readonly streamId: string;
}

export interface ProjectionProgressOptions {
  /** For the one dedicated LISTEN connection. */
  readonly connectionString: string;
  /** Loads the checkpoints (at start and after every reconnect). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  readonly logger?: Logger;
  /** First reconnect delay; doubles up to 5 s. Default 100 ms. */
  readonly retryDelayMs?: number;
  /**
   * How long a projection may be without a running instance and still count. Within it, writes it concerns
   * answer 503 (never a 2xx the next read contradicts): restarts, failovers and crash-loop back-offs (Kubernetes
   * waits up to 5 minutes) are shorter. Past it, the projection is taken as removed from the catalogue and stops
   * counting until it notifies again. Default DEFAULT_DOWN_GRACE_MS.
   */
  readonly removalGraceMs?: number;
}

/** Ten minutes: twice Kubernetes' longest crash-loop back-off. */
export const DEFAULT_DOWN_GRACE_MS = 600_000;

interface Tracked {
  checkpoint: GlobalPosition;
  filter: ProgressFilter;
  /** Counted by waits: its leader held the lock when last looked at, or it notified since. */
  live: boolean;
  /** False: writes never wait for it (a reactor), however it moves. */
  awaited: boolean;
  /** When a timed-out wait first found it without a leader (cleared when it has one again). */
  leaderlessSince?: number | undefined;
}

interface Waiter {
  readonly position: GlobalPosition;
  readonly events: readonly WrittenEvent[];
  readonly resolve: () => void;
}

/** Why a wait ended without every projection concerned passing the position. */
export class ProgressTimeoutError extends Error {
  constructor(
    readonly laggards: readonly string[],
    timeoutMs: number,
  ) {
    super(
      laggards.length > 0
        ? `read models ${laggards.join(', ')} had not caught up within ${timeoutMs} ms`
        : `the projections' progress could not be followed within ${timeoutMs} ms`,
    );
    this.name = 'ProgressTimeoutError';
  }
}

/**
 * The gateway's view of where every running projection stands, kept by ONE
 * LISTEN connection on the projections' progress channel: each notice moves a
 * projection's checkpoint forward; the checkpoints (with each projection's
 * filter) are loaded when LISTEN is in place and again after every reconnect,
 * since notices sent meanwhile are lost. A projection counts only while it is
 * running or was lately (its leader held the lock when the view was loaded, its
 * row moved within `removalGraceMs`, or it notified since): a leftover row of a
 * projection removed long ago never blocks a wait, a projection that is down
 * (restarting, crash-looping) makes the writes it concerns answer 503, and one
 * without a leader for `removalGraceMs` is taken as removed.
 *
 * `waitFor(position, events)` resolves once every live projection that reads
 * any of `events` has a checkpoint at or past `position`: woken by notices,
 * never polled. Listeners per projection (`onProgress`) run before waiters are
 * woken, so a cache invalidated there is fresh when a waiting write answers.
 */
export class ProjectionProgress {
  private readonly view = new Map<string, Tracked>();
  private readonly waiters = new Set<Waiter>();
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly resetListeners = new Set<() => void>();
  private client: pg.Client | undefined;
  private ready = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs: number;
  private connecting: Promise<void> | undefined;
  private reloading: Promise<void> | undefined;

  constructor(private readonly options: ProjectionProgressOptions) {
    this.retryDelayMs = options.retryDelayMs ?? 100;
  }

  /** Connects and loads the view; resolves once it is ready (or failed and is being retried). */
  start(): Promise<void> {
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.ready = false;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** True while notices are being heard and the view is loaded: caches that rely on notices may serve. */
  get listening(): boolean {
    return this.ready;
  }

  /** The checkpoint the view holds for `projection` (tests and diagnostics). */
  checkpointOf(projection: string): GlobalPosition | undefined {
    return this.view.get(projection)?.checkpoint;
  }

  /** Calls `listener` each time `projection` moves (and on every reset). Returns the unsubscribe. */
  onProgress(projection: string, listener: () => void): () => void {
    let set = this.listeners.get(projection);
    if (!set) this.listeners.set(projection, (set = new Set()));
    set.add(listener);
    this.resetListeners.add(listener);
    return () => {
      set.delete(listener);
      this.resetListeners.delete(listener);
    };
  }

  /** True when one of `events` is read by a projection some listener (a cache) follows. */
  concernsFollowed(events: readonly WrittenEvent[]): boolean {
    for (const [projection, set] of this.listeners) {
      if (set.size === 0) continue;
      const tracked = this.view.get(projection);
      // not loaded yet: assume it does (the safe side)
      if (!tracked || events.some((event) => filterConcerns(tracked.filter, event.type, event.streamId))) return true;
    }
    return false;
  }

  /**
   * Resolves once every live projection reading one of `events` has passed `position`; rejects with
   * ProgressTimeoutError after `timeoutMs`. On a timeout, laggards without a leader for `removalGraceMs`
   * stop counting (a removed projection), and the wait is judged once more.
   */
  async waitFor(position: GlobalPosition, events: readonly WrittenEvent[], timeoutMs: number): Promise<void> {
    if (events.length === 0 || this.satisfied(position, events)) return;
    let waiter: Waiter | undefined;
    let timer: NodeJS.Timeout | undefined;
    const reached = await new Promise<boolean>((resolve) => {
      waiter = { position, events, resolve: () => resolve(true) };
      this.waiters.add(waiter);
      timer = setTimeout(() => resolve(false), timeoutMs);
    }).finally(() => {
      clearTimeout(timer);
      this.waiters.delete(waiter!);
    });
    if (reached) return;
    const laggards = this.laggards(position, events);
    if (this.ready && laggards.length > 0 && (await this.dropLeaderless(laggards)) && this.satisfied(position, events)) return;
    throw new ProgressTimeoutError(this.ready ? this.laggards(position, events) : [], timeoutMs);
  }

  private satisfied(position: GlobalPosition, events: readonly WrittenEvent[]): boolean {
    return this.ready && this.laggards(position, events).length === 0;
  }

  private laggards(position: GlobalPosition, events: readonly WrittenEvent[]): string[] {
    const behind: string[] = [];
    for (const [name, tracked] of this.view) {
      if (!tracked.live || comparePositions(tracked.checkpoint, position) >= 0) continue;
      if (events.some((event) => filterConcerns(tracked.filter, event.type, event.streamId))) behind.push(name);
    }
    return behind;
  }

  /** Marks the laggards that no instance has run for the removal grace as not live; true when any was. */
  private async dropLeaderless(laggards: readonly string[]): Promise<boolean> {
    let rows: ProjectionProgressRow[];
    try {
      rows = await readProjectionProgress(this.options.db);
    } catch {
      return false;
    }
    const now = Date.now();
    const grace = this.options.removalGraceMs ?? DEFAULT_DOWN_GRACE_MS;
    let dropped = false;
    for (const row of rows) {
      const tracked = this.view.get(row.projection);
      if (!tracked || !laggards.includes(row.projection)) continue;
      if (row.hasLeader) {
        tracked.leaderlessSince = undefined;
        continue;
      }
      // from the first wait that found it down (or, for one already down when the view was loaded, its row's last move)
      tracked.leaderlessSince ??= now;
      if (now - tracked.leaderlessSince < grace) continue;
      tracked.live = false;
      tracked.leaderlessSince = undefined;
      dropped = true;
      this.options.logger?.warn({ projection: row.projection }, 'projection has had no running instance for a while: writes no longer wait for it');
    }
    return dropped;
  }

  private async connect(): Promise<void> {
    if (this.closed || this.client) return;
    const client = new pg.Client({ connectionString: this.options.connectionString, application_name: PROGRESS_APPLICATION_NAME });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('LISTEN connection ended')));
    client.on('notification', (message) => {
      if (message.channel === PROJECTION_PROGRESS_CHANNEL && this.client === client) this.onNotice(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${PROJECTION_PROGRESS_CHANNEL}`);
      this.client = client;
      // loaded after LISTEN: a notice sent meanwhile is heard, and only ever moves a checkpoint forward
      await this.reload();
      this.ready = true;
      this.retryDelayMs = this.options.retryDelayMs ?? 100;
      this.reset();
    } catch (error) {
      if (this.client === client) this.client = undefined;
      this.ready = false;
      await client.end().catch(() => undefined);
      this.options.logger?.warn({ err: error }, 'projection progress: cannot listen; retrying');
      this.scheduleRetry();
    }
  }

  private lost(client: pg.Client, error: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.ready = false;
    void client.end().catch(() => undefined);
    this.reset();
    if (this.closed) return;
    this.options.logger?.warn({ err: error }, 'projection progress: LISTEN connection lost; reconnecting');
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.start();
    }, this.retryDelayMs);
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, 5000);
  }

  /** Loads every checkpoint; a projection counts when its leader holds the lock. Coalesced. */
  private reload(): Promise<void> {
    this.reloading ??= (async () => {
      try {
        const rows = await readProjectionProgress(this.options.db);
        const now = Date.now();
        const grace = this.options.removalGraceMs ?? DEFAULT_DOWN_GRACE_MS;
        for (const row of rows) {
          const tracked = this.view.get(row.projection);
          const filter = { eventTypes: row.eventTypes, streamPrefixes: row.streamPrefixes };
          // without a leader, but its row moved within the grace: down for now (a restart), not removed
          const recentlyRunning = !row.hasLeader && row.quietMs < grace;
          const leaderlessSince = recentlyRunning ? now - row.quietMs : undefined;
          if (!tracked) {
            this.view.set(row.projection, { checkpoint: row.checkpoint, filter, awaited: row.awaited, live: row.awaited && (row.hasLeader || recentlyRunning), leaderlessSince });
          } else {
            if (comparePositions(row.checkpoint, tracked.checkpoint) > 0) tracked.checkpoint = row.checkpoint;
            tracked.filter = filter;
            tracked.awaited = row.awaited;
            tracked.live = row.awaited && (tracked.live || row.hasLeader || recentlyRunning);
            if (row.hasLeader) tracked.leaderlessSince = undefined;
            else if (recentlyRunning) tracked.leaderlessSince ??= leaderlessSince;
          }
        }
      } finally {
        this.reloading = undefined;
      }
      this.wake();
    })();
    return this.reloading;
  }

  private onNotice(payload: string | undefined, again = false): void {
    const notice = decodeProgressNotice(payload);
    if (!notice) return;
    const tracked = this.view.get(notice.projection);
    if (!tracked) {
      // a projection started since the view was loaded: its filter comes with its row (committed with the notice)
      if (!again) {
        this.reload().then(
          () => this.onNotice(payload, true),
          (error: unknown) => this.options.logger?.warn({ err: error }, 'projection progress: reload failed'),
        );
      }
      return;
    }
    tracked.live = tracked.awaited;
    tracked.leaderlessSince = undefined;
    if (comparePositions(notice.checkpoint, tracked.checkpoint) > 0) tracked.checkpoint = notice.checkpoint;
    for (const listener of this.listeners.get(notice.projection) ?? []) listener();
    this.wake();
  }

  /** Every follower forgets what it kept (notices may have been missed, or will be until reconnected). */
  private reset(): void {
    for (const listener of this.resetListeners) listener();
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters) {
      if (this.satisfied(waiter.position, waiter.events)) waiter.resolve();
    }
  }
}
