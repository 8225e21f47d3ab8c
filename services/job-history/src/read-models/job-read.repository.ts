import type { Kysely } from 'kysely';
import type { JobStatus, JobStepType, ToolStatus, Truncation } from '@steward/contracts';
import type { JobDB } from './job-db';
import { JOBS_SCHEMA } from './job.projection';
import type { JobRow } from './jobs.table';

/** What the detail dialog says when a job has no steps (admin guide, Part 1). */
export const NO_STEPS_MESSAGE = 'No detailed steps recorded for this job.';

export interface JobListFilters {
  readonly agent?: string;
  readonly status?: JobStatus;
  /** Jobs started at or after. */
  readonly from?: string;
  /** Jobs started before. */
  readonly to?: string;
}

export interface JobSummaryView {
  readonly jobId: string;
  readonly agent: string;
  readonly status: JobStatus;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly durationMs: number | null;
  readonly stepCount: number;
}

export interface JobStepView {
  readonly sequence: number;
  readonly stepId: string;
  readonly type: JobStepType;
  readonly content: string | null;
  readonly toolName: string | null;
  readonly toolStatus: ToolStatus | null;
  readonly parameters: unknown;
  readonly result: unknown;
  readonly durationMs: number | null;
  readonly at: string;
  readonly truncated: Truncation[] | null;
}

export interface JobDetailView extends JobSummaryView {
  readonly summary: string | null;
  readonly input: string | null;
  readonly metadata: Record<string, string> | null;
  readonly source: string;
  readonly steps: JobStepView[];
  /** NO_STEPS_MESSAGE when the job has no steps, else null. */
  readonly message: string | null;
}

export interface JobPage {
  readonly items: JobSummaryView[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  readonly pageCount: number;
}

const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());

function summaryOf(row: Pick<JobRow, 'job_id' | 'agent' | 'status' | 'started_at' | 'ended_at' | 'duration_ms' | 'step_count'>): JobSummaryView {
  return {
    jobId: row.job_id,
    agent: row.agent,
    status: row.status,
    startedAt: row.started_at.toISOString(),
    endedAt: iso(row.ended_at),
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
    stepCount: row.step_count,
  };
}

/** Job History queries; every one takes the workspace id first (the tenant wall). */
export class JobReadRepository {
  private readonly db: Kysely<JobDB>;

  constructor(deps: { readonly db: Kysely<unknown> }) {
    this.db = (deps.db as Kysely<JobDB>).withSchema(JOBS_SCHEMA);
  }

  /** Newest first; `page` from 1. */
  async listJobs(workspaceId: string, filters: JobListFilters, page: { page: number; pageSize: number }): Promise<JobPage> {
    let query = this.db.selectFrom('jobs').where('workspace_id', '=', workspaceId);
    if (filters.agent !== undefined) query = query.where('agent', '=', filters.agent);
    if (filters.status !== undefined) query = query.where('status', '=', filters.status);
    if (filters.from !== undefined) query = query.where('started_at', '>=', new Date(filters.from));
    if (filters.to !== undefined) query = query.where('started_at', '<', new Date(filters.to));
    const [rows, counted] = await Promise.all([
      query
        .select(['job_id', 'agent', 'status', 'started_at', 'ended_at', 'duration_ms', 'step_count'])
        .orderBy('started_at', 'desc')
        .orderBy('job_id', 'desc')
        .limit(page.pageSize)
        .offset((page.page - 1) * page.pageSize)
        .execute(),
      query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
    ]);
    const total = Number(counted.total);
    return { items: rows.map(summaryOf), total, page: page.page, pageSize: page.pageSize, pageCount: Math.ceil(total / page.pageSize) };
  }

  /** The job with its steps in order; undefined when the workspace has no such job. */
  async getJob(workspaceId: string, jobId: string): Promise<JobDetailView | undefined> {
    const job = await this.db.selectFrom('jobs').selectAll().where('workspace_id', '=', workspaceId).where('job_id', '=', jobId).executeTakeFirst();
    if (!job) return undefined;
    const steps = await this.db
      .selectFrom('job_steps')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('job_id', '=', jobId)
      .orderBy('sequence')
      .execute();
    return {
      ...summaryOf(job),
      summary: job.summary,
      input: job.input,
      metadata: job.metadata,
      source: job.source,
      steps: steps.map((step) => ({
        sequence: step.sequence,
        stepId: step.step_id,
        type: step.type,
        content: step.content,
        toolName: step.tool_name,
        toolStatus: step.tool_status,
        parameters: step.parameters ?? null,
        result: step.result ?? null,
        durationMs: step.duration_ms,
        at: step.at.toISOString(),
        truncated: step.truncated,
      })),
      message: steps.length === 0 ? NO_STEPS_MESSAGE : null,
    };
  }

  /**
   * Jobs still running that started before `startedBefore`, oldest first,
   * across every workspace: for the timeout sweeper only (a system task, not a tenant's query).
   */
  async overdueJobs(startedBefore: Date, limit: number): Promise<Array<{ workspaceId: string; jobId: string; organizationId: string | null }>> {
    const rows = await this.db
      .selectFrom('jobs')
      .select(['workspace_id', 'job_id', 'organization_id'])
      .where('status', '=', 'running')
      .where('started_at', '<', startedBefore)
      .orderBy('started_at')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ workspaceId: row.workspace_id, jobId: row.job_id, organizationId: row.organization_id }));
  }
}

