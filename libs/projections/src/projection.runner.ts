import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import { metrics, type Counter, type Meter } from '@opentelemetry/api';
import {
  comparePositions,
  formatPosition,
  START,
  type EventStore,
  type GlobalPosition,
  type RecordedEvent,
  type Subscription,
  type SubscriptionBatch,
  type SumBatch,
  type SumSubscription,
} from '@steward/event-store';
import { CheckpointRepository, type ProjectionCheckpoint } from './checkpoint.repository';
import { LeaderLock, isLockHeld } from './leader-lock';
import { applyEvents, projectionFilter, projectionLockKey, projectionReadOptions, projectionSchema, readModelChannel, type ProjectionDefinition } from './projection';
import { notifyProgress } from './projection-progress';
import { ProjectionError, ProjectionErrorCode } from './projection.error';
import { measureLag } from './projection-lag';
import { stderrLogger, type ProjectionLogger } from './projection-logger';
import { PROJECTION_QUARANTINED_EVENTS } from './projection-metrics';
import { applyIsolatingPoison, type PoisonedEvent } from './quarantine/poison-isolation';
import { QuarantineRepository } from './quarantine/quarantine.repository';
import { errorCodeOf, mayBePoison, redactedMessageOf } from './quarantine/transient-failure';

export type ProjectionRunnerState = 'stopped' | 'standby' | 'active' | 'needs_rebuild';

export interface ProjectionRunnerOptions {
  /** Kysely over the shared pool: read-model writes and checkpoints. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  readonly store: EventStore;
  readonly projection: ProjectionDefinition;
  /** Connection settings for the dedicated leader-lock connection. */
  readonly lockConnection: pg.ClientConfig;
  /** Names this instance in the checkpoint row (`owner`) and in logs. */
  readonly instanceId: string;
  /** Most events per batch (one transaction each); fewer when the store has fewer new ones. Default 5 000. */
  readonly batchSize?: number;
  /** How often a standby tries the lock, and the leader checks for a handover request (ms). Default 500. */
  readonly lockPollIntervalMs?: number;
  /** First retry delay after a failed batch; doubles up to 30 s. Default 500. */
  readonly retryDelayMs?: number;
  readonly logger?: ProjectionLogger;
  /** An outdated read model is rebuilt by the host (ProjectionHost `rebuildOutdated`): say so, once, instead of asking for the CLI. */
  readonly autoRebuild?: boolean;
  /** Where the quarantine counter goes. Default: the global meter provider. */
  readonly meter?: Meter;
}

export interface ProjectionStatus {
  readonly name: string;
  readonly version: number;
  /** True when this instance is the projection's active (leading) runner. */
  readonly active: boolean;
  /** True when some instance (this one or another) holds the projection's leader lock. */
  readonly hasLeader: boolean;
  readonly state: ProjectionRunnerState;
  /** The stored checkpoint (START when the projection never ran). */
  readonly checkpoint: GlobalPosition;
  readonly lagEvents: number;
  readonly lagSeconds: number;
  readonly eventsApplied: bigint;
  /** The version the live read model was built by (undefined: never built). */
  readonly storedVersion: number | undefined;
  readonly lastError: string | undefined;
  /** Events this projection skipped because it could not apply them (see `replayQuarantine`). */
  readonly quarantined: number;
  /** `degraded`: it serves, but without the quarantined events. */
  readonly health: 'ok' | 'degraded';
}

interface Leadership {
  epoch: bigint;
  position: GlobalPosition;
  lost: boolean;
}

const MAX_RETRY_DELAY_MS = 30_000;
/**
 * A live batch is whatever the store has beyond the checkpoint, up to this
 * many: small when the projection keeps up (no added latency), large under a
 * burst or a backlog, where fewer, bigger transactions apply more events per
 * second (bench:ingest measures it). PROJECTIONS_BATCH_SIZE sets it per process.
 */
const DEFAULT_BATCH_SIZE = 5_000;

/**
 * Runs one projection in this process: waits for the projection's leader lock
 * (a standby polls), then follows the store from the stored checkpoint and
 * applies each batch in one transaction with the checkpoint's compare-and-set.
 * Leaves the lead when the lock connection drops (at once), when a rebuild
 * asks for a handover, when fenced, or on `stop()`.
 */
export class ProjectionRunner {
  readonly name: string;
  private readonly checkpoints: CheckpointRepository;
  private readonly quarantine: QuarantineRepository;
  private readonly quarantinedCounter: Counter;
  private readonly lock: LeaderLock;
  private readonly logger: ProjectionLogger;
  private readonly schema: string;
  private readonly lockKey: string;
  private currentState: ProjectionRunnerState = 'stopped';
  private loopDone: Promise<void> | undefined;
  private stopping = false;
  private leadership: Leadership | undefined;
  private subscription: Subscription | SumSubscription | undefined;
  private wakeSleeper: (() => void) | undefined;
  private error: Error | undefined;
  private lostLead = false;
  private mismatchReported = false;
  /** The last batch applied was one quarantined event and nothing else: a second such batch in a row waits (see applyBatch). */
  private quarantinedWithoutProgress = false;

  constructor(private readonly options: ProjectionRunnerOptions) {
    this.name = options.projection.name;
    this.schema = projectionSchema(this.name);
    this.lockKey = projectionLockKey(this.name);
    this.checkpoints = new CheckpointRepository(options.db);
    this.quarantine = new QuarantineRepository(options.db);
    this.quarantinedCounter = (options.meter ?? metrics.getMeter('@steward/projections')).createCounter(PROJECTION_QUARANTINED_EVENTS, {
      description: 'Events a projection could not apply, skipped and put in its quarantine',
      unit: '{event}',
    });
    this.logger = options.logger ?? stderrLogger;
    this.lock = new LeaderLock({
      connection: options.lockConnection,
      key: this.lockKey,
      keepAliveIntervalMs: this.pollMs,
      onLost: (error) => {
        this.logger.error({ projection: this.name, err: error.message }, 'projection lock lost: stopping at once');
        this.lostLead = true;
        this.interrupt();
      },
    });
  }

  get state(): ProjectionRunnerState {
    return this.currentState;
  }

  get active(): boolean {
    return this.currentState === 'active';
  }

  /** The last failure (a handler's error, a lost connection); cleared by the next applied batch. */
  get lastError(): Error | undefined {
    return this.error;
  }

  /** Starts the background loop (standby until the lock is won). Idempotent. */
  start(): void {
    if (this.loopDone) return;
    this.stopping = false;
    this.currentState = 'standby';
    this.loopDone = this.loop();
  }

  /** Stops following, releases the lock and closes its connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.interrupt();
    await this.loopDone;
    this.loopDone = undefined;
    await this.lock.close();
    this.currentState = 'stopped';
  }

  /** The backend pid of the leader-lock connection (operations and tests: terminating it simulates a dead instance). */
  async lockBackendPid(): Promise<number | undefined> {
    return this.lock.backendPid();
  }

  /** Resolves once the stored checkpoint is at or past `position` (e.g. `await store.headPosition()`). */
  async waitForPosition(position: GlobalPosition, timeoutMs = 10_000): Promise<ProjectionCheckpoint> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const checkpoint = await this.checkpoints.read(this.name);
      if (checkpoint && comparePositions(checkpoint.position, position) >= 0) return checkpoint;
      if (Date.now() > deadline) {
        throw new Error(`projection ${this.name} did not reach ${position.commit}/${position.prepare} within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async status(): Promise<ProjectionStatus> {
    const checkpoint = await this.checkpoints.read(this.name);
    const position = checkpoint?.position ?? START;
    const [lag, hasLeader, quarantined] = await Promise.all([
      measureLag(this.options.store, position, projectionFilter(this.options.projection)),
      isLockHeld(this.options.db, this.lockKey),
      this.quarantine.count(this.name),
    ]);
    return {
      name: this.name,
      version: this.options.projection.version,
      active: this.active,
      hasLeader,
      state: this.currentState,
      checkpoint: position,
      lagEvents: lag.lagEvents,
      lagSeconds: lag.lagSeconds,
      eventsApplied: checkpoint?.eventsApplied ?? 0n,
      storedVersion: checkpoint?.version,
      lastError: this.error?.message,
      quarantined,
      health: quarantined > 0 ? 'degraded' : 'ok',
    };
  }

  private get pollMs(): number {
    return this.options.lockPollIntervalMs ?? 500;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        const led = await this.tryLead();
        failures = 0;
        // After losing the lead (lock connection dropped, fenced), give a healthy standby the first chance.
        if (!led || this.lostLead) await this.sleep(led ? this.pollMs * 3 : this.pollMs);
        this.lostLead = false;
      } catch (error) {
        failures++;
        this.recordError(error, 'projection runner failed; retrying');
        await this.sleep(this.retryDelay(failures));
      }
    }
  }

  /** One term as leader, if the lock can be had. Returns false when it could not. */
  private async tryLead(): Promise<boolean> {
    if (await this.checkpoints.pendingHandover(this.name, this.options.instanceId)) return false;
    if (!(await this.lock.tryAcquire())) return false;
    const leadership: Leadership = { epoch: 0n, position: START, lost: false };
    this.leadership = leadership;
    const watchdog = setInterval(() => void this.checkHandover(leadership), this.pollMs);
    watchdog.unref();
    try {
      // A rebuild may have asked between the check above and the lock.
      if (await this.checkpoints.pendingHandover(this.name, this.options.instanceId)) return false;
      const checkpoint = await this.prepareReadModel();
      if (checkpoint.version !== this.options.projection.version) {
        this.currentState = 'needs_rebuild';
        const remedy = this.options.autoRebuild
          ? 'the host rebuilds it into a new schema and swaps it in; the old one answers queries until then'
          : `run: npm run steward -- projections rebuild ${this.name}`;
        this.error = new ProjectionError(
          ProjectionErrorCode.VersionMismatch,
          `projection ${this.name}: the live read model is version ${checkpoint.version}, this code is version ${this.options.projection.version}; ${remedy}`,
        );
        if (!this.options.autoRebuild) this.logger.error({ projection: this.name }, this.error.message);
        else if (!this.mismatchReported) this.logger.warn({ projection: this.name }, this.error.message);
        this.mismatchReported = true;
        await this.lock.release();
        // Leave the lock to a replica running the matching version for a while.
        await this.sleep(this.pollMs * 10);
        return true;
      }
      leadership.epoch = checkpoint.epoch;
      leadership.position = checkpoint.position;
      this.currentState = 'active';
      this.logger.info(
        { projection: this.name, epoch: checkpoint.epoch.toString(), instance: this.options.instanceId },
        'projection runner is active',
      );
      await this.follow(leadership);
      return true;
    } finally {
      clearInterval(watchdog);
      this.leadership = undefined;
      if (this.currentState === 'active') this.currentState = 'standby';
      await this.lock.release();
    }
  }

  /** Creates the live schema on the first run, then claims the checkpoint (a new epoch). */
  private async prepareReadModel(): Promise<ProjectionCheckpoint> {
    const { projection, db, instanceId } = this.options;
    return db.transaction().execute(async (trx) => {
      const created = await this.checkpoints.initialize(trx, this.name, projection.version);
      const { rows } = await sql<{ exists: boolean }>`
        SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ${this.schema}) AS exists`.execute(trx);
      if (!rows[0]?.exists) {
        await sql`CREATE SCHEMA ${sql.id(this.schema)}`.execute(trx);
        await sql`SET LOCAL search_path TO ${sql.id(this.schema)}`.execute(trx);
        await projection.migrate(trx.withSchema(this.schema), this.schema);
        if (!created) {
          // The row outlived its schema (dropped by hand): the new, empty read model starts from zero.
          this.logger.warn({ projection: this.name }, 'read-model schema was missing: rebuilding from the start');
          await this.checkpoints.replace(
            trx,
            { name: this.name, version: projection.version, position: START, eventsApplied: 0n, lastEventAt: null },
            instanceId,
          );
        }
      }
      return this.checkpoints.claim(trx, this.name, instanceId, projectionFilter(projection), projection.awaitedByWrites !== false);
    });
  }

  private async follow(leadership: Leadership): Promise<void> {
    const { store, projection } = this.options;
    const filter = projectionFilter(projection);
    const batchSize = this.options.batchSize ?? DEFAULT_BATCH_SIZE;
    const interval = projection.minBatchIntervalMs ?? 0;
    let failures = 0;
    while (this.leading(leadership)) {
      const subscription: Subscription | SumSubscription = projection.fold
        ? store.subscribeToSums({
            from: leadership.position,
            maxCount: projection.fold.maxCount ?? batchSize,
            groupBy: projection.fold.groupBy,
            sum: projection.fold.sum,
            ...(projection.fold.span === undefined ? {} : { span: projection.fold.span }),
            ...(filter ? { filter } : {}),
          })
        : store.subscribeToAll({
            from: leadership.position,
            maxCount: batchSize,
            ...(filter ? { filter } : {}),
            ...projectionReadOptions(projection),
          });
      this.subscription = subscription;
      let applying: SubscriptionBatch | undefined;
      try {
        for await (const batch of subscription as AsyncIterable<SubscriptionBatch | SumBatch>) {
          if (!this.leading(leadership)) break;
          const started = performance.now();
          if ('groups' in batch) await this.applySums(leadership, batch);
          else {
            applying = batch;
            await this.applyBatch(leadership, batch);
            applying = undefined;
          }
          failures = 0;
          this.error = undefined;
          // live and paced: the next batch gathers what arrives meanwhile (the subscription reads on demand)
          if (interval > 0 && batch.caughtUp && ('groups' in batch ? batch.groups.length : batch.events.length) > 0) {
            const rest = interval - (performance.now() - started);
            if (rest > 0) await this.sleep(rest);
          }
        }
      } catch (caught) {
        let error = caught;
        // Not the database's fault: apply the batch again a part at a time, quarantining what fails alone.
        if (applying && mayBePoison(error) && this.leading(leadership)) {
          try {
            await this.applyBatch(leadership, applying, error);
            failures = 0;
            this.error = undefined;
            continue;
          } catch (isolationError) {
            error = isolationError;
          }
        }
        if (ProjectionError.isFenced(error)) {
          this.logger.warn({ projection: this.name, err: (error as Error).message }, 'projection runner fenced out');
          leadership.lost = true;
          this.lostLead = true;
          break;
        }
        if (!this.leading(leadership)) break;
        failures++;
        this.recordError(error, 'projection batch failed; rolled back, retrying from the checkpoint');
        await this.sleep(this.retryDelay(failures));
      } finally {
        this.subscription = undefined;
        await subscription.close().catch(() => undefined);
      }
    }
  }

  /** A fold projection's batch: its sums and the checkpoint in one transaction (a failure is retried whole, never quarantined). */
  private async applySums(leadership: Leadership, batch: SumBatch): Promise<void> {
    const from = leadership.position;
    if (batch.groups.length === 0 && comparePositions(batch.checkpoint, from) <= 0) return;
    const { db, projection } = this.options;
    const folded = batch.groups.reduce((total, group) => total + group.count, 0);
    await db.transaction().execute(async (trx) => {
      await sql`SET LOCAL search_path TO ${sql.id(this.schema)}`.execute(trx);
      if (batch.groups.length > 0) {
        await projection.handleSums!(trx.withSchema(this.schema), { groups: batch.groups, from, checkpoint: batch.checkpoint }, { projection: this.name, schema: this.schema });
      }
      if (!this.leading(leadership)) {
        throw new ProjectionError(ProjectionErrorCode.LeadershipLost, `projection ${this.name}: leadership lost mid-batch`);
      }
      await this.checkpoints.advance(trx, { name: this.name, epoch: leadership.epoch, from, to: batch.checkpoint, eventsApplied: folded, lastEventAt: null });
      if (folded > 0) {
        await sql`SELECT pg_notify(${readModelChannel(this.name)}, '')`.execute(trx);
        await notifyProgress(trx, { projection: this.name, checkpoint: batch.checkpoint });
      }
    });
    leadership.position = batch.checkpoint;
  }

  /**
   * One batch, one transaction with the checkpoint. `failure`: the error this batch failed with
   * before; this time each part is applied in a savepoint and the events that fail on their own
   * are quarantined in the same transaction (skipped: the checkpoint moves past them).
   */
  private async applyBatch(leadership: Leadership, batch: SubscriptionBatch, failure?: unknown): Promise<void> {
    const from = leadership.position;
    if (batch.events.length === 0 && comparePositions(batch.checkpoint, from) <= 0) return;
    const { db, projection } = this.options;
    const last = batch.events[batch.events.length - 1];
    let poisoned: PoisonedEvent[] = [];
    if (failure !== undefined) {
      this.logger.warn(
        { projection: this.name, events: batch.events.length, errorCode: errorCodeOf(failure), err: redactedMessageOf(failure) },
        'projection batch failed: applying it again a part at a time to find the events it cannot apply',
      );
    }
    await db.transaction().execute(async (trx) => {
      await sql`SET LOCAL search_path TO ${sql.id(this.schema)}`.execute(trx);
      const apply = (events: readonly RecordedEvent[]): Promise<void> =>
        applyEvents(projection, trx.withSchema(this.schema), events, { projection: this.name, schema: this.schema });
      if (failure === undefined) await apply(batch.events);
      else {
        poisoned = await applyIsolatingPoison(trx, batch.events, apply);
        if (poisoned.length > 0 && poisoned.length === batch.events.length && this.quarantinedWithoutProgress) {
          // Events one at a time, each failing, nothing applied in between: more likely a broken release than a run of
          // poison. Wait (and retry) until the batch holds an event that applies, rather than quarantine the stream.
          throw new ProjectionError(
            ProjectionErrorCode.NothingApplies,
            `projection ${this.name}: no event applied since the last one quarantined, and this one fails too: ${redactedMessageOf(failure)}`,
            {},
            { cause: poisoned[0]!.error },
          );
        }
        await this.quarantine.add(trx, this.name, poisoned);
      }
      if (!this.leading(leadership)) {
        throw new ProjectionError(ProjectionErrorCode.LeadershipLost, `projection ${this.name}: leadership lost mid-batch`);
      }
      await this.checkpoints.advance(trx, {
        name: this.name,
        epoch: leadership.epoch,
        from,
        to: batch.checkpoint,
        eventsApplied: batch.events.length - poisoned.length,
        lastEventAt: last?.recordedAt ?? null,
      });
      if (batch.events.length > 0) {
        await sql`SELECT pg_notify(${readModelChannel(this.name)}, '')`.execute(trx);
        await notifyProgress(trx, { projection: this.name, checkpoint: batch.checkpoint });
      }
    });
    leadership.position = batch.checkpoint;
    if (batch.events.length > 0) this.quarantinedWithoutProgress = poisoned.length === batch.events.length;
    for (const { event, error } of poisoned) {
      this.quarantinedCounter.add(1, { projection: this.name, event_type: event.type });
      // The event's id and place, never its data (it may hold personal data): operators read it from the store.
      this.logger.error(
        {
          projection: this.name,
          eventId: event.eventId,
          streamId: event.streamId,
          eventType: event.type,
          position: formatPosition(event.position),
          errorCode: errorCodeOf(error),
          err: redactedMessageOf(error),
        },
        `projection could not apply an event: quarantined and skipped (replay it once fixed: npm run steward -- projections replay-quarantine ${this.name})`,
      );
    }
  }

  private leading(leadership: Leadership): boolean {
    return !leadership.lost && !this.stopping && this.leadership === leadership;
  }

  private async checkHandover(leadership: Leadership): Promise<void> {
    if (!this.leading(leadership)) return;
    try {
      const requester = await this.checkpoints.pendingHandover(this.name, this.options.instanceId);
      if (requester && this.leading(leadership)) {
        this.logger.info({ projection: this.name, requester }, 'handing the projection over to a rebuild');
        this.interrupt();
      }
    } catch (error) {
      this.logger.warn({ projection: this.name, err: String(error) }, 'handover check failed');
    }
  }

  /** Wakes a runner that waits (standby, or after finding its read model outdated) to try the lead now. */
  wake(): void {
    if (!this.leadership) this.wakeSleeper?.();
  }

  /** Ends the current term (if any) and wakes any sleep. */
  private interrupt(): void {
    if (this.leadership) this.leadership.lost = true;
    void this.subscription?.close().catch(() => undefined);
    this.wakeSleeper?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wakeSleeper === done) this.wakeSleeper = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleeper = done;
    });
  }

  private retryDelay(failures: number): number {
    return Math.min(MAX_RETRY_DELAY_MS, (this.options.retryDelayMs ?? 500) * 2 ** Math.max(0, failures - 1));
  }

  private recordError(error: unknown, message: string): void {
    this.error = error instanceof Error ? error : new Error(String(error));
    // PostgreSQL quotes the offending value in its messages, and an event's values may be personal data.
    this.logger.error({ projection: this.name, errorCode: errorCodeOf(error), err: redactedMessageOf(error) }, message);
  }
}
