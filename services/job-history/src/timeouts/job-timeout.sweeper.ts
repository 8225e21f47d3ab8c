import { createHash } from 'node:crypto';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from '@steward/observability';
import type { JobReadRepository } from '@steward/job-history';
import type { JobCommandRunner } from '../jobs/job-command.runner';
import { JobError } from '../jobs/job.error';
import { JobQueues } from '@steward/job-history';

/** Job names are constants: renaming a class must not strand scheduled jobs. */
export const JobQueueJobs = { SweepTimedOut: 'sweep-timed-out-jobs' } as const;
export const TIMEOUT_SCHEDULER_ID = 'job-timeout-sweep';

export const DEFAULT_JOB_TIMEOUT_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_SWEEP_EVERY_MS = 60 * 1000;
/** Jobs finished per sweep at most; the next sweep takes the rest. */
const SWEEP_BATCH = 500;

export interface JobTimeoutOptions {
  readonly connection: ConnectionOptions;
  /** BullMQ key prefix (`steward:bull`; tests use their Redis prefix). */
  readonly prefix: string;
  readonly runner: JobCommandRunner;
  readonly jobs: JobReadRepository;
  readonly logger: Logger;
  /** A job running longer than this is finished as timed_out. Default 24 h. */
  readonly timeoutMs?: number;
  /** How often the repeatable sweep runs. Default every minute. */
  readonly everyMs?: number;
  readonly now?: () => Date;
}

/** The command id of a job's timeout: the same job swept twice is the same command, appended once. */
export function timeoutCommandId(workspaceId: string, jobId: string): string {
  return `job-timeout-${createHash('sha256').update(`${workspaceId}\n${jobId}`).digest('hex').slice(0, 40)}`;
}

/**
 * A BullMQ repeatable job (a job scheduler) that finishes jobs still running
 * past the limit as `timed_out`. Any number of job-history replicas may run it:
 * the scheduler has one id, and a job finished twice is refused (or replayed)
 * by the decider, never finished twice.
 */
export class JobTimeoutSweeper {
  private readonly queue: Queue;
  private worker: Worker | undefined;
  readonly timeoutMs: number;
  private readonly everyMs: number;

  constructor(private readonly options: JobTimeoutOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_JOB_TIMEOUT_MS;
    this.everyMs = options.everyMs ?? DEFAULT_SWEEP_EVERY_MS;
    this.queue = new Queue(JobQueues.Timeouts, { connection: options.connection, prefix: options.prefix });
  }

  async start(): Promise<void> {
    await this.queue.upsertJobScheduler(
      TIMEOUT_SCHEDULER_ID,
      { every: this.everyMs },
      { name: JobQueueJobs.SweepTimedOut, data: {}, opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
    this.worker = new Worker(JobQueues.Timeouts, async () => this.sweep(), {
      connection: this.options.connection,
      prefix: this.options.prefix,
      concurrency: 1,
    });
    this.worker.on('failed', (_job, error) => this.options.logger.warn({ err: error }, 'job timeout sweep failed'));
  }

  /** One sweep: finishes every overdue job (up to a batch); answers how many it finished. */
  async sweep(): Promise<number> {
    const now = this.options.now?.() ?? new Date();
    const overdue = await this.options.jobs.overdueJobs(new Date(now.getTime() - this.timeoutMs), SWEEP_BATCH);
    let finished = 0;
    const hours = Math.round((this.timeoutMs / 3_600_000) * 100) / 100;
    for (const job of overdue) {
      try {
        const answer = await this.options.runner.execute({
          type: 'FinishJob',
          payload: { workspaceId: job.workspaceId, jobId: job.jobId, status: 'timed_out', summary: `Finished by Steward: still running after ${hours} h`, endedAt: now.toISOString() },
          actor: { type: 'system', id: 'job-timeouts' },
          at: now.toISOString(),
          envelope: {
            commandId: timeoutCommandId(job.workspaceId, job.jobId),
            type: 'FinishJob',
            actor: { type: 'system', id: 'job-timeouts' },
            ...(job.organizationId ? { organizationId: job.organizationId } : {}),
            workspaceId: job.workspaceId,
            issuedAt: now.toISOString(),
            payload: {},
          },
        });
        if (answer.changed && !answer.replayed) finished++;
      } catch (error) {
        // finished meanwhile by its agent, or a start in the future: nothing to time out
        if (error instanceof JobError) continue;
        throw error;
      }
    }
    if (finished > 0) this.options.logger.info({ finished, timeoutMs: this.timeoutMs }, 'jobs timed out');
    return finished;
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
