import { Queue, type ConnectionOptions, type Job } from 'bullmq';
import { InvoiceQueues } from '@steward/billing';
import { JobQueues } from '@steward/job-history';
import { RuntimeQueues } from '@steward/runtime-registry';

/** Every BullMQ queue of Steward, from each context's public entry point. */
export const STEWARD_QUEUES: ReadonlyArray<{ readonly name: string; readonly context: string; readonly description: string }> = [
  { name: RuntimeQueues.ConnectionTests, context: 'runtime-registry', description: 'runtime connection tests' },
  { name: InvoiceQueues.Close, context: 'billing', description: 'closing billing periods into invoices' },
  { name: JobQueues.Timeouts, context: 'job-history', description: 'failing jobs that ran past their timeout' },
];

export interface QueueCounts {
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly failed: number;
  readonly completed: number;
}

export interface FailedQueueJob {
  readonly queue: string;
  readonly id: string;
  readonly name: string;
  readonly error: string;
  readonly attempts: number;
  readonly failedAt: string | null;
  readonly organizationId: string | null;
  readonly workspaceId: string | null;
}

/** Which jobs a caller may see: all (a platform administrator) or those of one organization. */
export type JobAudience = { readonly all: true } | { readonly all: false; readonly organizationId: string; readonly organizationOf: (workspaceId: string) => Promise<string | undefined> };

/** How many failed jobs of each queue are looked through for the caller's. */
const FAILED_SCAN = 500;

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/**
 * Reads Steward's BullMQ queues (keys under `<redis prefix>bull`, as every service sets them): counts, the
 * failed jobs with their errors, retry and remove. A job belongs to the organization its data names (directly
 * or through its workspace); a job naming none (a scheduled sweep) is the platform's.
 */
export class QueueInspector {
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly deps: { readonly connection: ConnectionOptions; readonly prefix: string; readonly names?: readonly string[] }) {
    for (const name of deps.names ?? STEWARD_QUEUES.map((queue) => queue.name)) this.queues.set(name, new Queue(name, { connection: deps.connection, prefix: deps.prefix }));
  }

  get names(): string[] {
    return [...this.queues.keys()];
  }

  async counts(name: string): Promise<QueueCounts> {
    const counts = await this.queue(name).getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized', 'waiting-children');
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts['waiting-children'] ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
      completed: counts.completed ?? 0,
    };
  }

  /** The failed jobs the audience may see, newest first. */
  async failed(name: string, audience: JobAudience, limit = 50): Promise<FailedQueueJob[]> {
    const jobs = await this.queue(name).getFailed(0, FAILED_SCAN - 1);
    const visible: FailedQueueJob[] = [];
    for (const job of jobs) {
      if (visible.length >= limit) break;
      if (await this.visibleTo(job, audience)) visible.push(this.view(name, job));
    }
    return visible;
  }

  /** Retries a failed job the audience may see; false when there is none. */
  async retry(name: string, id: string, audience: JobAudience): Promise<boolean> {
    const job = await this.find(name, id, audience);
    if (!job || !(await job.isFailed())) return false;
    await job.retry('failed');
    return true;
  }

  /** Removes a job the audience may see (not an active one); false when there is none. */
  async remove(name: string, id: string, audience: JobAudience): Promise<boolean> {
    const job = await this.find(name, id, audience);
    if (!job || (await job.isActive())) return false;
    await job.remove();
    return true;
  }

  /** Adds a job (once per id: BullMQ ignores an id it holds); answers its id. */
  async enqueue(name: string, jobName: string, data: Record<string, unknown>, jobId: string): Promise<string> {
    const job = await this.queue(name).add(jobName, data, { jobId, attempts: 5, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: 100, removeOnFail: 100 });
    return String(job.id);
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }

  has(name: string): boolean {
    return this.queues.has(name);
  }

  private queue(name: string): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`no queue ${name}`);
    return queue;
  }

  private async find(name: string, id: string, audience: JobAudience): Promise<Job | undefined> {
    if (!this.queues.has(name)) return undefined;
    const job = await this.queue(name).getJob(id);
    return job && (await this.visibleTo(job, audience)) ? job : undefined;
  }

  private async visibleTo(job: Job, audience: JobAudience): Promise<boolean> {
    if (audience.all) return true;
    const data = (typeof job.data === 'object' && job.data !== null ? job.data : {}) as Record<string, unknown>;
    const organizationId = text(data.organizationId);
    if (organizationId !== null) return organizationId === audience.organizationId;
    const workspaceId = text(data.workspaceId);
    return workspaceId !== null && (await audience.organizationOf(workspaceId)) === audience.organizationId;
  }

  private view(queue: string, job: Job): FailedQueueJob {
    const data = (typeof job.data === 'object' && job.data !== null ? job.data : {}) as Record<string, unknown>;
    return {
      queue,
      id: String(job.id),
      name: job.name,
      error: job.failedReason || 'unknown',
      attempts: job.attemptsMade,
      failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
      organizationId: text(data.organizationId),
      workspaceId: text(data.workspaceId),
    };
  }
}
