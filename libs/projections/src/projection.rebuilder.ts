import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import { START, type EventStore, type GlobalPosition, type ReadAllPage } from '@steward/event-store';
import { CheckpointRepository } from './checkpoint.repository';
import { LeaderLock } from './leader-lock';
import { applyIsolatingPoison, type PoisonedEvent } from './quarantine/poison-isolation';
import { QuarantineRepository } from './quarantine/quarantine.repository';
import { errorCodeOf, redactedMessageOf } from './quarantine/transient-failure';
import { applyEvents, projectionFilter, projectionLockKey, projectionReadOptions, projectionSchema, readModelChannel, type ProjectionDefinition } from './projection';
import { notifyProgress } from './projection-progress';
import { ProjectionError, ProjectionErrorCode } from './projection.error';
import { stderrLogger, type ProjectionLogger } from './projection-logger';

export type RebuildPhase = 'replay' | 'takeover' | 'catch-up' | 'swap' | 'done';

export interface RebuildProgress {
  readonly name: string;
  readonly phase: RebuildPhase;
  /** Events applied to the new read model so far. */
  readonly eventsApplied: number;
  readonly position: GlobalPosition;
  /** The store's head when the replay started (the target of `fraction`). */
  readonly head: GlobalPosition;
  /** 0..1, from global positions (exact for the PostgreSQL store, an estimate otherwise). */
  readonly fraction: number;
  readonly elapsedMs: number;
  readonly eventsPerSecond: number;
  /** Seconds left at the current rate; undefined until it can be estimated. */
  readonly etaSeconds: number | undefined;
}

export interface RebuildOptions {
  readonly onProgress?: (progress: RebuildProgress) => void;
  /** Events per transaction during replay (read and applied in pages of at most 2 000). Default 10 000. */
  readonly batchSize?: number;
  /** How long to wait for the live runner to hand the projection over. Default 60 s. */
  readonly takeoverTimeoutMs?: number;
  /** Minimum interval between progress reports (ms). Default 250. */
  readonly progressIntervalMs?: number;
  /**
   * Stops the rebuild between pages (the host's shutdown): it fails with REBUILD_FAILED, the live read model
   * untouched; the next rebuild drops the half-built schema.
   */
  readonly signal?: AbortSignal;
}

export interface RebuildResult {
  readonly name: string;
  readonly eventsApplied: number;
  readonly position: GlobalPosition;
  readonly durationMs: number;
  readonly eventsPerSecond: number;
  /** The schema that was built and is now live under `rm_<name>`. */
  readonly builtIn: string;
  /** Where the time went: waiting for store reads (not overlapped with writes) and applying pages. */
  readonly readWaitMs: number;
  readonly applyMs: number;
}

export interface ProjectionRebuilderDeps {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  readonly store: EventStore;
  readonly lockConnection: pg.ClientConfig;
  readonly logger?: ProjectionLogger;
}

const HANDOVER_TTL_MS = 30_000;

/**
 * Rebuilds a projection from zero into a fresh schema and swaps it in:
 *
 * 1. replay every event into `rm_<name>__rebuild_<n>` in large pages, while the
 *    live runner keeps serving and updating `rm_<name>`;
 * 2. ask for a handover (the live runner steps down within its poll interval;
 *    standbys stay away) and take the projection's leader lock;
 * 3. catch up the tail written meanwhile;
 * 4. in ONE transaction: rename `rm_<name>` → `rm_<name>__old_<n>`, the new
 *    schema → `rm_<name>`, and replace the checkpoint (new epoch: any stale
 *    writer is fenced out); readers switch atomically at commit;
 * 5. drop the old schema, release the lock: the runner resumes from the new
 *    checkpoint.
 *
 * One rebuild per projection at a time (a second advisory lock).
 */
export class ProjectionRebuilder {
  private readonly checkpoints: CheckpointRepository;
  private readonly logger: ProjectionLogger;

  constructor(private readonly deps: ProjectionRebuilderDeps) {
    this.checkpoints = new CheckpointRepository(deps.db);
    this.logger = deps.logger ?? stderrLogger;
  }

  async rebuild(projection: ProjectionDefinition, options: RebuildOptions = {}): Promise<RebuildResult> {
    const { db } = this.deps;
    const name = projection.name;
    const live = projectionSchema(name);
    const requester = `rebuild:${randomUUID()}`;
    await this.checkpoints.migrate();

    const rebuildLock = new LeaderLock({ connection: this.deps.lockConnection, key: `steward.projection-rebuild:${name}` });
    const projectionLock = new LeaderLock({ connection: this.deps.lockConnection, key: projectionLockKey(name) });
    let renew: NodeJS.Timeout | undefined;
    try {
      if (!(await rebuildLock.tryAcquire())) {
        throw new ProjectionError(ProjectionErrorCode.RebuildFailed, `projection ${name}: another rebuild is running`);
      }
      await this.dropLeftovers(live);
      const before = await this.checkpoints.read(name);
      const target = `${live}__rebuild_${(before?.rebuilds ?? 0) + 1}`;
      await db.transaction().execute(async (trx) => {
        await sql`CREATE SCHEMA ${sql.id(target)}`.execute(trx);
        await sql`SET LOCAL search_path TO ${sql.id(target)}`.execute(trx);
        await projection.migrate(trx.withSchema(target), target);
      });

      const started = Date.now();
      const head = await this.deps.store.headPosition();
      const progress = new ProgressTracker(name, head, started, options);
      const replay = new Replay(this.deps, projection, target, options.batchSize ?? 10_000, progress, options.signal);

      progress.phase = 'replay';
      await replay.run();

      progress.phase = 'takeover';
      progress.report(replay.position, replay.eventsApplied, true);
      await this.checkpoints.requestHandover(name, projection.version, requester, HANDOVER_TTL_MS);
      renew = setInterval(() => {
        this.checkpoints.requestHandover(name, projection.version, requester, HANDOVER_TTL_MS).catch((error: unknown) => {
          this.logger.warn({ projection: name, err: String(error) }, 'could not renew the handover request');
        });
      }, HANDOVER_TTL_MS / 3);
      renew.unref();
      if (!(await projectionLock.acquire(options.takeoverTimeoutMs ?? 60_000, 100))) {
        throw new ProjectionError(
          ProjectionErrorCode.RebuildFailed,
          `projection ${name}: the live runner did not hand over within ${options.takeoverTimeoutMs ?? 60_000} ms`,
        );
      }

      progress.phase = 'catch-up';
      await replay.run();

      progress.phase = 'swap';
      progress.report(replay.position, replay.eventsApplied, true);
      const old = `${live}__old_${(before?.rebuilds ?? 0) + 1}`;
      let hadLive = false;
      await db.transaction().execute(async (trx) => {
        // Serializes with any writer still holding the row (it is fenced by the new epoch after this).
        await sql`SELECT 1 FROM steward_projections.checkpoints WHERE name = ${name} FOR UPDATE`.execute(trx);
        const { rows } = await sql<{ exists: boolean }>`
          SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ${live}) AS exists`.execute(trx);
        hadLive = !!rows[0]?.exists;
        if (hadLive) await sql`ALTER SCHEMA ${sql.id(live)} RENAME TO ${sql.id(old)}`.execute(trx);
        await sql`ALTER SCHEMA ${sql.id(target)} RENAME TO ${sql.id(live)}`.execute(trx);
        await sql`SELECT pg_notify(${readModelChannel(name)}, '')`.execute(trx);
        await notifyProgress(trx, { projection: name, checkpoint: replay.position });
        await this.checkpoints.replace(
          trx,
          {
            name,
            version: projection.version,
            position: replay.position,
            eventsApplied: BigInt(replay.eventsApplied),
            lastEventAt: replay.lastEventAt,
          },
          requester,
        );
        // The old read model's quarantine goes with it: the new one was built without exactly these.
        await new QuarantineRepository(db).replaceAll(trx, name, replay.poisoned);
      });
      for (const { event, error } of replay.poisoned) {
        this.logger.error(
          { projection: name, eventId: event.eventId, streamId: event.streamId, eventType: event.type, errorCode: errorCodeOf(error), err: redactedMessageOf(error) },
          'rebuilt read model skipped an event it cannot apply: quarantined',
        );
      }
      if (hadLive) await sql`DROP SCHEMA IF EXISTS ${sql.id(old)} CASCADE`.execute(db);

      const durationMs = Date.now() - started;
      progress.phase = 'done';
      progress.report(replay.position, replay.eventsApplied, true);
      this.logger.info({ projection: name, events: replay.eventsApplied, durationMs }, 'projection rebuilt and swapped in');
      return {
        name,
        eventsApplied: replay.eventsApplied,
        position: replay.position,
        durationMs,
        eventsPerSecond: durationMs > 0 ? (replay.eventsApplied * 1000) / durationMs : replay.eventsApplied,
        builtIn: target,
        readWaitMs: replay.readWaitMs,
        applyMs: replay.applyMs,
      };
    } finally {
      if (renew) clearInterval(renew);
      await this.checkpoints.clearHandover(name, requester).catch(() => undefined);
      await projectionLock.close();
      await rebuildLock.close();
    }
  }

  /** Schemas left by a rebuild that died (safe: this process holds the rebuild lock). */
  private async dropLeftovers(live: string): Promise<void> {
    const { rows } = await sql<{ nspname: string }>`
      SELECT nspname FROM pg_namespace
      WHERE nspname LIKE ${`${live.replace(/_/g, '\\_')}\\_\\_rebuild\\_%`}
         OR nspname LIKE ${`${live.replace(/_/g, '\\_')}\\_\\_old\\_%`}`.execute(this.deps.db);
    for (const { nspname } of rows) {
      this.logger.warn({ schema: nspname }, 'dropping a schema left by an interrupted rebuild');
      await sql`DROP SCHEMA IF EXISTS ${sql.id(nspname)} CASCADE`.execute(this.deps.db);
    }
  }
}

/**
 * Events decoded at a time during a replay. A page this size dies young in V8's
 * new space; a page of 10 000 usage events (tens of MB decoded) outlives it,
 * is promoted, and costs a full garbage collection per page: more CPU than the
 * decoding itself. Larger batches are applied a page at a time, in one
 * transaction.
 */
const REPLAY_PAGE_SIZE = 2_000;

/**
 * Reads pages from the store and applies them to the target schema, reading
 * the next page while writing one; commits every `batchSize` events (one
 * transaction holds several pages when the batch is larger than a page).
 */
class Replay {
  position: GlobalPosition = START;
  eventsApplied = 0;
  lastEventAt: Date | null = null;
  readWaitMs = 0;
  applyMs = 0;
  /** Events the projection could not apply: the new read model is built without them, and they are its quarantine. */
  readonly poisoned: PoisonedEvent[] = [];

  constructor(
    private readonly deps: ProjectionRebuilderDeps,
    private readonly projection: ProjectionDefinition,
    private readonly target: string,
    private readonly batchSize: number,
    private readonly progress: ProgressTracker,
    private readonly signal?: AbortSignal,
  ) {}

  /** Applies everything visible now; returns at the end of the store. */
  async run(): Promise<void> {
    const filter = projectionFilter(this.projection);
    const pageSize = Math.min(this.batchSize, REPLAY_PAGE_SIZE);
    const read = (from: GlobalPosition): Promise<ReadAllPage> =>
      this.deps.store.readAll({ from, maxCount: pageSize, ...(filter ? { filter } : {}), ...projectionReadOptions(this.projection) });
    let page: ReadAllPage | undefined = await this.timedRead(read(this.position));
    while (page) {
      this.checkAborted();
      if (page.events.length > 0) {
        page = await this.applyBatch(page, read);
        continue;
      }
      // Nothing to write (a filter skipped every row): move on without a transaction.
      this.advance(page.checkpoint, 0, null);
      page = page.isEnd ? undefined : await this.timedRead(read(page.checkpoint));
    }
  }

  /**
   * One transaction: `first` and the pages after it until `batchSize` events
   * are written, a page without events comes, or the store ends. Returns the
   * page to go on with (not yet applied), undefined at the end.
   */
  private async applyBatch(first: ReadAllPage, read: (from: GlobalPosition) => Promise<ReadAllPage>): Promise<ReadAllPage | undefined> {
    const started = Date.now();
    const waitedBefore = this.readWaitMs;
    let rest: ReadAllPage | undefined;
    let applied = 0;
    let position = this.position;
    let lastEventAt: Date | null = null;
    const batchPoisoned: PoisonedEvent[] = [];
    await this.deps.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL search_path TO ${sql.id(this.target)}`.execute(trx);
      for (let page = first; ; ) {
        this.checkAborted();
        const next = page.isEnd ? undefined : read(page.checkpoint);
        // Do not leave a rejected prefetch unobserved while this page is written.
        next?.catch(() => undefined);
        // Each page in a savepoint: an event the projection cannot apply is set aside, as the live runner does.
        const poisoned = await applyIsolatingPoison(trx, page.events, (events) =>
          applyEvents(this.projection, trx.withSchema(this.target), events, {
            projection: this.projection.name,
            schema: this.target,
          }),
        );
        batchPoisoned.push(...poisoned);
        applied += page.events.length - poisoned.length;
        position = page.checkpoint;
        lastEventAt = page.events[page.events.length - 1]!.recordedAt;
        if (!next) return;
        page = await this.timedRead(next);
        if (page.events.length === 0 || applied >= this.batchSize) {
          rest = page;
          return;
        }
      }
    });
    this.poisoned.push(...batchPoisoned);
    this.applyMs += Date.now() - started - (this.readWaitMs - waitedBefore);
    this.advance(position, applied, lastEventAt);
    return rest;
  }

  private advance(position: GlobalPosition, applied: number, lastEventAt: Date | null): void {
    this.eventsApplied += applied;
    if (lastEventAt) this.lastEventAt = lastEventAt;
    this.position = position;
    this.progress.report(this.position, this.eventsApplied, false);
  }

  private async timedRead(page: Promise<ReadAllPage>): Promise<ReadAllPage> {
    const started = Date.now();
    try {
      return await page;
    } finally {
      this.readWaitMs += Date.now() - started;
    }
  }

  private checkAborted(): void {
    if (this.signal?.aborted) {
      throw new ProjectionError(ProjectionErrorCode.RebuildFailed, `projection ${this.projection.name}: rebuild stopped`, { aborted: true });
    }
  }
}

class ProgressTracker {
  phase: RebuildPhase = 'replay';
  private lastReport = 0;

  constructor(
    private readonly name: string,
    private readonly head: GlobalPosition,
    private readonly started: number,
    private readonly options: RebuildOptions,
  ) {}

  report(position: GlobalPosition, eventsApplied: number, force: boolean): void {
    const onProgress = this.options.onProgress;
    if (!onProgress) return;
    const now = Date.now();
    if (!force && now - this.lastReport < (this.options.progressIntervalMs ?? 250)) return;
    this.lastReport = now;
    onProgress(rebuildProgress(this.name, this.phase, position, this.head, eventsApplied, now - this.started));
  }
}

/** Pure: the numbers a progress display needs. */
export function rebuildProgress(
  name: string,
  phase: RebuildPhase,
  position: GlobalPosition,
  head: GlobalPosition,
  eventsApplied: number,
  elapsedMs: number,
): RebuildProgress {
  const fraction =
    phase === 'done' || head.prepare === 0n
      ? 1
      : Math.min(1, Math.max(0, Number(position.prepare) / Number(head.prepare)));
  const eventsPerSecond = elapsedMs > 0 ? (eventsApplied * 1000) / elapsedMs : 0;
  const etaSeconds = fraction > 0 && fraction < 1 && elapsedMs > 0 ? ((elapsedMs / 1000) * (1 - fraction)) / fraction : fraction >= 1 ? 0 : undefined;
  return { name, phase, eventsApplied, position, head, fraction, elapsedMs, eventsPerSecond, etaSeconds };
}
