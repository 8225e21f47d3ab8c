import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { runtimeSecretOwner, type CommandEnvelope } from '@steward/contracts';
import type { Logger } from '@steward/observability';
import type { SecretStore } from '@steward/secrets';
import { secretValues, type RuntimeCommandRunner, type RuntimeTestJob } from '../runtimes/runtime-command.runner';
import { DEFAULT_PROBE_SETTINGS, runProbe, type ProbeSettings } from './probes/runtime-probes';
import { RuntimeQueues } from '@steward/runtime-registry';

/** Job names are constants: renaming a class must not strand queued tests. */
export const RuntimeQueueJobs = { RunConnectionTest: 'run-connection-test' } as const;

export interface ConnectionTestsOptions {
  readonly connection: ConnectionOptions;
  /** BullMQ key prefix (`steward:bull`; tests use their Redis prefix). */
  readonly prefix: string;
  readonly runner: RuntimeCommandRunner;
  readonly secrets: SecretStore;
  readonly logger: Logger;
  readonly probe?: Partial<ProbeSettings>;
  /** Tests run at once by this process. Default 4. */
  readonly concurrency?: number;
}

/**
 * The connection tests: RuntimeTestRequested puts a job on a BullMQ queue
 * (one per test id); a worker loads the runtime and its secrets, runs the
 * provider's probe (10 s per attempt, bounded retries) and records
 * RuntimeTestSucceeded / RuntimeTestFailed as the system. A job that fails
 * for Steward's own reasons (store or secret store down) is retried by
 * BullMQ (3 attempts, exponential backoff); recording is idempotent per test.
 */
export class ConnectionTests {
  private readonly queue: Queue;
  private worker: Worker | undefined;
  private readonly probe: ProbeSettings;

  constructor(private readonly options: ConnectionTestsOptions) {
    this.queue = new Queue(RuntimeQueues.ConnectionTests, { connection: options.connection, prefix: options.prefix });
    this.probe = { ...DEFAULT_PROBE_SETTINGS, ...options.probe };
  }

  async enqueue(job: RuntimeTestJob): Promise<void> {
    await this.queue.add(RuntimeQueueJobs.RunConnectionTest, job, {
      jobId: job.testId,
      attempts: 3,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: 1_000,
      removeOnFail: 1_000,
    });
  }

  start(): void {
    this.worker = new Worker(RuntimeQueues.ConnectionTests, (job: Job<RuntimeTestJob>) => this.run(job.data), {
      connection: this.options.connection,
      prefix: this.options.prefix,
      concurrency: this.options.concurrency ?? 4,
    });
    this.worker.on('failed', (job, error) =>
      this.options.logger.warn({ testId: job?.data.testId, runtimeId: job?.data.runtimeId, attempts: job?.attemptsMade, err: error }, 'connection test job failed'),
    );
  }

  /** One test: probe, then record the outcome (nothing when the runtime is gone or the outcome is recorded). */
  async run(job: RuntimeTestJob): Promise<void> {
    const { state } = await this.options.runner.load(job.workspaceId);
    const runtime = state.runtimes[job.runtimeId];
    const test = state.tests[job.testId];
    if (!runtime || !test || test.done) return;
    const secrets = await secretValues(this.options.secrets, runtime.secrets, runtimeSecretOwner(job.workspaceId, job.runtimeId));
    const outcome = await runProbe({ provider: runtime.provider, config: runtime.config, secrets }, this.probe);
    this.options.logger.info(
      { testId: job.testId, runtimeId: job.runtimeId, provider: runtime.provider, ok: outcome.ok, failure: outcome.failure, statusCode: outcome.statusCode, latencyMs: outcome.latencyMs },
      'connection test done',
    );
    const envelope: CommandEnvelope = {
      commandId: `runtime-test-result:${job.testId}`,
      type: 'RecordRuntimeTestResult',
      actor: { type: 'system', id: 'runtime-connection-tests' },
      organizationId: job.organizationId,
      workspaceId: job.workspaceId,
      correlationId: job.testId,
      causationId: job.testId,
      issuedAt: new Date().toISOString(),
      payload: {
        workspaceId: job.workspaceId,
        runtimeId: job.runtimeId,
        testId: job.testId,
        outcome: outcome.ok ? 'succeeded' : 'failed',
        ...(outcome.failure ? { failure: outcome.failure } : {}),
        probe: outcome.probe,
        statusCode: outcome.statusCode,
        latencyMs: outcome.latencyMs,
        attempts: outcome.attempts,
        message: outcome.message,
        testedAt: new Date().toISOString(),
      },
    };
    await this.options.runner.execute('RecordRuntimeTestResult', envelope);
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}

