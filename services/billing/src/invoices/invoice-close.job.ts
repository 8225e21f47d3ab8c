import type { ConnectionOptions, Queue, Worker } from 'bullmq';
import type { Logger } from '@steward/observability';
import type { CloseReport, InvoiceCloser } from './invoice-closer';
import { InvoiceQueueJobs, InvoiceQueues } from '@steward/billing';

export { InvoiceQueueJobs };
export const CLOSE_SCHEDULER_ID = 'billing-close-periods';
/** Every zone's month ends on some quarter hour: a run every 15 minutes opens each draft within 15 minutes of its period's end. */
export const DEFAULT_CLOSE_EVERY_MS = 15 * 60 * 1000;

export interface InvoiceCloseJobOptions {
  readonly connection: ConnectionOptions;
  /** BullMQ key prefix (`steward:bull`; tests use their Redis prefix). */
  readonly prefix: string;
  readonly closer: InvoiceCloser;
  readonly logger: Logger;
  readonly everyMs?: number;
  /** Attempts of a failed run. */
  readonly attempts?: number;
  /** First retry delay, doubled on each attempt. Default 5 s. */
  readonly backoffMs?: number;
  readonly now?: () => Date;
}

/**
 * The BullMQ repeatable job (a job scheduler with one id) that closes billing periods: opens
 * drafts at period end, refreshes them during the grace period, issues them after. Every billing
 * replica runs a worker; whichever takes a run, and however often a failed run is retried, each
 * step is an idempotent command on the invoice's stream: one invoice per organization and period.
 */
export class InvoiceCloseJob {
  private started: Queue | undefined;
  private worker: Worker | undefined;

  constructor(private readonly options: InvoiceCloseJobOptions) {}

  /** The queue, once started. */
  get queue(): Queue {
    if (!this.started) throw new Error('the invoice close job is not started');
    return this.started;
  }

  async start(): Promise<void> {
    // loaded here, after the process's reactors run: a restart consumes usage before it pays for BullMQ's load
    const { Queue, Worker } = await import('bullmq');
    this.started = new Queue(InvoiceQueues.Close, { connection: this.options.connection, prefix: this.options.prefix });
    await this.queue.upsertJobScheduler(
      CLOSE_SCHEDULER_ID,
      { every: this.options.everyMs ?? DEFAULT_CLOSE_EVERY_MS },
      {
        name: InvoiceQueueJobs.ClosePeriods,
        data: {},
        opts: { attempts: this.options.attempts ?? 5, backoff: { type: 'exponential', delay: this.options.backoffMs ?? 5000 }, removeOnComplete: 100, removeOnFail: 100 },
      },
    );
    this.worker = new Worker(InvoiceQueues.Close, async () => this.run(), { connection: this.options.connection, prefix: this.options.prefix, concurrency: 1 });
    this.worker.on('failed', (_job, error) => this.options.logger.warn({ err: error }, 'closing billing periods failed; it is retried'));
  }

  /** One run now (what the scheduled job does). */
  run(): Promise<CloseReport> {
    return this.options.closer.close(this.options.now?.() ?? new Date());
  }

  /** Redis answers on the queue's connection (a readiness check): one read of the queue's meta key. */
  async ping(): Promise<void> {
    await this.queue.isPaused();
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.started?.close();
  }
}
