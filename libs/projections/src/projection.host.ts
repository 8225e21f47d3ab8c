import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { createNoopMeter, type Meter } from '@opentelemetry/api';
import type { EventStore } from '@steward/event-store';
import { CheckpointRepository } from './checkpoint.repository';
import type { ProjectionDefinition } from './projection';
import { ProjectionError, ProjectionErrorCode } from './projection.error';
import { registerProjectionMetrics } from './projection-metrics';
import { stderrLogger, type ProjectionLogger } from './projection-logger';
import { ProjectionRebuilder, type RebuildOptions, type RebuildResult } from './projection.rebuilder';
import { ProjectionRunner, type ProjectionStatus } from './projection.runner';
import { QuarantineRepository, type QuarantinedEvent } from './quarantine/quarantine.repository';
import { replayQuarantine, type ReplayQuarantineResult } from './quarantine/quarantine.replayer';

export interface ProjectionHostOptions {
  /** The read models' database (the same server as the event store, or not). */
  readonly pool: pg.Pool;
  readonly store: EventStore;
  readonly projections: readonly ProjectionDefinition[];
  /** Settings for the dedicated leader-lock connections. Default: the pool's own connection settings. */
  readonly lockConnection?: pg.ClientConfig;
  /** Default: `<hostname>:<pid>:<random>`. */
  readonly instanceId?: string;
  /** Most events per live batch. Default 5 000. */
  readonly batchSize?: number;
  /** Standby lock polling and leader handover checks (ms). Default 500. */
  readonly lockPollIntervalMs?: number;
  readonly retryDelayMs?: number;
  /** Where the lag gauges and the quarantine counter go. Default: the global meter provider. Pass `false` for none. */
  readonly meter?: Meter | false;
  readonly logger?: ProjectionLogger;
  /**
   * On `start`, rebuild every projection whose live read model was built by an OLDER version of its code
   * (`needs_rebuild`): replayed into a shadow schema while the old read model keeps answering, then swapped
   * in (ProjectionRebuilder), progress logged. One replica does it (the rebuild lock); the others wait for
   * the swap. A read model built by a NEWER version is left alone (a replica of that version owns it).
   * Off by default (the CLI `steward projections rebuild` does it by hand).
   */
  readonly rebuildOutdated?: boolean | AutoRebuildOptions;
}

export interface AutoRebuildOptions {
  /** Interval between progress log lines (ms). Default 2 000. */
  readonly progressIntervalMs?: number;
  /** First delay before retrying a failed rebuild; doubles up to 5 minutes. Default 5 000. */
  readonly retryDelayMs?: number;
  /** Events per replay page. Default the rebuilder's (10 000). */
  readonly batchSize?: number;
}

const MAX_AUTO_REBUILD_RETRY_MS = 300_000;

/**
 * Runs a set of projections in this process, one runner each; any number of
 * replicas may run the same set (one is active per projection, the others
 * stand by). Also the entry point for status, lag metrics and rebuilds.
 */
export class ProjectionHost {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  readonly instanceId: string;
  private readonly runners = new Map<string, ProjectionRunner>();
  private readonly checkpoints: CheckpointRepository;
  private readonly lockConnection: pg.ClientConfig;
  private unregisterMetrics: (() => void) | undefined;
  private autoRebuilds: { readonly abort: AbortController; readonly done: Promise<void> } | undefined;

  constructor(private readonly options: ProjectionHostOptions) {
    this.db = new Kysely({ dialect: new PostgresDialect({ pool: options.pool }) });
    this.checkpoints = new CheckpointRepository(this.db);
    this.instanceId = options.instanceId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.lockConnection = options.lockConnection ?? lockConnectionOf(options.pool);
    for (const projection of options.projections) {
      if (this.runners.has(projection.name)) {
        throw new ProjectionError(ProjectionErrorCode.InvalidDefinition, `projection ${projection.name} is registered twice`);
      }
      this.runners.set(
        projection.name,
        new ProjectionRunner({
          db: this.db,
          store: options.store,
          projection,
          lockConnection: this.lockConnection,
          instanceId: this.instanceId,
          ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
          ...(options.lockPollIntervalMs !== undefined ? { lockPollIntervalMs: options.lockPollIntervalMs } : {}),
          ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
          ...(options.logger ? { logger: options.logger } : {}),
          ...(options.rebuildOutdated ? { autoRebuild: true } : {}),
          ...(options.meter !== undefined ? { meter: options.meter === false ? createNoopMeter() : options.meter } : {}),
        }),
      );
    }
  }

  /** Creates the `steward_projections` schema and tables if needed (`start` and `rebuild` do it too). */
  async migrate(): Promise<void> {
    await this.checkpoints.migrate();
  }

  /** Creates `steward_projections` if needed, registers the gauges and starts every runner (in the background). */
  async start(): Promise<void> {
    await this.checkpoints.migrate();
    if (this.options.meter !== false && !this.unregisterMetrics) {
      this.unregisterMetrics = registerProjectionMetrics(() => this.status(), this.options.meter);
    }
    for (const runner of this.runners.values()) runner.start();
    if (this.options.rebuildOutdated && !this.autoRebuilds) {
      const abort = new AbortController();
      const settings = this.options.rebuildOutdated === true ? {} : this.options.rebuildOutdated;
      const done = Promise.all(this.options.projections.map((projection) => this.rebuildIfOutdated(projection, settings, abort.signal))).then(() => undefined);
      this.autoRebuilds = { abort, done };
    }
  }

  /**
   * Resolves once every automatic rebuild started by `start` has swapped its read model in (or found nothing
   * to do, or was stopped). Immediately when `rebuildOutdated` is off.
   */
  async outdatedRebuilt(): Promise<void> {
    await this.autoRebuilds?.done;
  }

  /** Stops every runner and releases their locks. Does not close the pool or the store. */
  async stop(): Promise<void> {
    this.unregisterMetrics?.();
    this.unregisterMetrics = undefined;
    if (this.autoRebuilds) {
      this.autoRebuilds.abort.abort();
      await this.autoRebuilds.done;
      this.autoRebuilds = undefined;
    }
    await Promise.all([...this.runners.values()].map((runner) => runner.stop()));
  }

  runner(name: string): ProjectionRunner {
    const runner = this.runners.get(name);
    if (!runner) {
      throw new ProjectionError(
        ProjectionErrorCode.UnknownProjection,
        `unknown projection ${name}; known: ${[...this.runners.keys()].join(', ') || '(none)'}`,
      );
    }
    return runner;
  }

  async status(): Promise<ProjectionStatus[]> {
    return Promise.all([...this.runners.values()].map((runner) => runner.status()));
  }

  /** The events `name` quarantined, in store order. */
  async quarantined(name: string): Promise<QuarantinedEvent[]> {
    this.runner(name);
    return new QuarantineRepository(this.db).list(name);
  }

  /** Applies `name`'s quarantined events with this host's (fixed) code; see `replayQuarantine`. */
  async replayQuarantine(name: string): Promise<ReplayQuarantineResult> {
    const projection = this.options.projections.find((candidate) => candidate.name === name);
    if (!projection) this.runner(name);
    await this.checkpoints.migrate();
    return replayQuarantine({ db: this.db, store: this.options.store, logger: this.options.logger ?? stderrLogger }, projection!);
  }

  /** Rebuilds from zero and swaps in; this host's runner steps down during the swap and resumes after. */
  async rebuild(name: string, options: RebuildOptions = {}): Promise<RebuildResult> {
    const projection = this.options.projections.find((candidate) => candidate.name === name);
    if (!projection) this.runner(name);
    return new ProjectionRebuilder({
      db: this.db,
      store: this.options.store,
      lockConnection: this.lockConnection,
      logger: this.options.logger ?? stderrLogger,
    }).rebuild(projection!, options);
  }

  /** `rebuildOutdated`: one projection, until its read model is at this code's version (or the host stops). */
  private async rebuildIfOutdated(projection: ProjectionDefinition, settings: AutoRebuildOptions, signal: AbortSignal): Promise<void> {
    const logger = this.options.logger ?? stderrLogger;
    const name = projection.name;
    let failures = 0;
    while (!signal.aborted) {
      let stored: number | undefined;
      try {
        stored = (await this.checkpoints.read(name))?.version;
      } catch (error) {
        logger.warn({ projection: name, err: String(error) }, 'could not read the checkpoint to look for an outdated read model');
        failures++;
        await pause(Math.min((settings.retryDelayMs ?? 5_000) * 2 ** (failures - 1), MAX_AUTO_REBUILD_RETRY_MS), signal);
        continue;
      }
      if (stored === undefined || stored === projection.version) return;
      if (stored > projection.version) {
        logger.warn({ projection: name, stored, version: projection.version }, 'read model built by a newer version of the projection: left to a replica that runs it');
        return;
      }
      logger.info({ projection: name, from: stored, to: projection.version }, 'read model built by an older version of the projection: rebuilding it');
      try {
        const result = await this.rebuild(name, {
          signal,
          progressIntervalMs: settings.progressIntervalMs ?? 2_000,
          ...(settings.batchSize !== undefined ? { batchSize: settings.batchSize } : {}),
          onProgress: (progress) =>
            logger.info(
              {
                projection: name,
                phase: progress.phase,
                events: progress.eventsApplied,
                percent: Math.round(progress.fraction * 1000) / 10,
                eventsPerSecond: Math.round(progress.eventsPerSecond),
                ...(progress.etaSeconds !== undefined ? { etaSeconds: Math.round(progress.etaSeconds) } : {}),
              },
              'rebuilding an outdated read model',
            ),
        });
        logger.info(
          { projection: name, version: projection.version, events: result.eventsApplied, durationMs: result.durationMs },
          'outdated read model rebuilt and swapped in: serving',
        );
        this.runners.get(name)?.wake();
        return;
      } catch (error) {
        if (signal.aborted) return;
        // Another replica's rebuild holds the rebuild lock: wait for its swap, then look again.
        failures++;
        const delay = Math.min((settings.retryDelayMs ?? 5_000) * 2 ** (failures - 1), MAX_AUTO_REBUILD_RETRY_MS);
        logger.error({ projection: name, err: error instanceof Error ? error.message : String(error), retryInMs: delay }, 'automatic rebuild failed; the old read model keeps answering');
        await pause(delay, signal);
      }
    }
  }
}

/** Resolves after `ms`, or at once when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The connection settings a pool was created with (for a dedicated connection to the same database). */
export function lockConnectionOf(pool: pg.Pool): pg.ClientConfig {
  const { max: _max, idleTimeoutMillis: _idle, ...connection } = pool.options as pg.PoolConfig;
  return connection;
}
