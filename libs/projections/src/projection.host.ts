import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import type { Meter } from '@opentelemetry/api';
import type { EventStore } from '@steward/event-store';
import { CheckpointRepository } from './checkpoint.repository';
import type { ProjectionDefinition } from './projection';
import { ProjectionError, ProjectionErrorCode } from './projection.error';
import { registerProjectionMetrics } from './projection-metrics';
import { stderrLogger, type ProjectionLogger } from './projection-logger';
import { ProjectionRebuilder, type RebuildOptions, type RebuildResult } from './projection.rebuilder';
import { ProjectionRunner, type ProjectionStatus } from './projection.runner';

export interface ProjectionHostOptions {
  /** The read models' database (the same server as the event store, or not). */
  readonly pool: pg.Pool;
  readonly store: EventStore;
  readonly projections: readonly ProjectionDefinition[];
  /** Settings for the dedicated leader-lock connections. Default: the pool's own connection settings. */
  readonly lockConnection?: pg.ClientConfig;
  /** Default: `<hostname>:<pid>:<random>`. */
  readonly instanceId?: string;
  /** Events per live batch. Default 500. */
  readonly batchSize?: number;
  /** Standby lock polling and leader handover checks (ms). Default 500. */
  readonly lockPollIntervalMs?: number;
  readonly retryDelayMs?: number;
  /** Where the lag gauges go. Default: the global meter provider. Pass `false` for none. */
  readonly meter?: Meter | false;
  readonly logger?: ProjectionLogger;
}

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
  }

  /** Stops every runner and releases their locks. Does not close the pool or the store. */
  async stop(): Promise<void> {
    this.unregisterMetrics?.();
    this.unregisterMetrics = undefined;
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
}

/** The connection settings a pool was created with (for a dedicated connection to the same database). */
export function lockConnectionOf(pool: pg.Pool): pg.ClientConfig {
  const { max: _max, idleTimeoutMillis: _idle, ...connection } = pool.options as pg.PoolConfig;
  return connection;
}
