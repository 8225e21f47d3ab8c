import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { JobStatus, JobStepType, ToolStatus, Truncation } from '@steward/contracts';
import { countRange, type CountRange } from './job-count-range';
import { encodeJobCursor, filtersKey, type JobCursor, type JobListFilters } from './job-cursor';
import type { JobDB } from './job-db';
import { JOBS_SCHEMA } from './job.projection';
import type { JobRow } from './jobs.table';

/** What the detail dialog says when a job has no steps (admin guide, Part 1). */
export const NO_STEPS_MESSAGE = 'No detailed steps recorded for this job.';

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
  /** Where the next page starts (send it as `cursor`), or null on the last page. */
  readonly nextCursor: string | null;
}

/** A page by number (`page` from 1), or the page after a cursor an earlier page answered. */
export type JobPageRequest = { readonly pageSize: number; readonly page: number } | { readonly pageSize: number; readonly after: JobCursor };

/** A page by number this deep seeks through the per-day counters first. */
const SEEK_FROM = 1000;

/** Where a page by number starts: `skip` jobs of the list (of those started before `before`, when set). */
interface PageStart {
  readonly before?: string;
  readonly skip: number;
}

const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());

type SummaryColumns = Pick<JobRow, 'job_id' | 'agent' | 'status' | 'started_at' | 'ended_at' | 'duration_ms' | 'step_count'>;

function summaryOf(row: SummaryColumns): JobSummaryView {
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

const table = (name: keyof JobDB): RawBuilder<unknown> => sql.table(`${JOBS_SCHEMA}.${name}`);

/** The list's filters as conditions on `jobs` (or on the counters, without the time). */
function conditions(workspaceId: string, filters: JobListFilters, withTime = true): RawBuilder<unknown>[] {
  const where = [sql`workspace_id = ${workspaceId}`];
  if (filters.agent !== undefined) where.push(sql`agent = ${filters.agent}`);
  if (filters.status !== undefined) where.push(sql`status = ${filters.status}`);
  if (withTime && filters.from !== undefined) where.push(sql`started_at >= ${filters.from}::timestamptz`);
  if (withTime && filters.to !== undefined) where.push(sql`started_at < ${filters.to}::timestamptz`);
  return where;
}

const and = (where: RawBuilder<unknown>[]): RawBuilder<unknown> => sql.join(where, sql` AND `);

/** The untimed conditions on the per-day counters, with the range's whole days. */
function dayConditions(untimed: RawBuilder<unknown>[], range: CountRange): RawBuilder<unknown>[] {
  const days = [...untimed];
  if (range.fromDay !== undefined) days.push(sql`day >= ${range.fromDay}::date`);
  if (range.toDay !== undefined) days.push(sql`day < ${range.toDay}::date`);
  return days;
}

/** How many of the list's jobs started in `[edge[0], edge[1])`: a partial day at either end of a range. */
function edgeCount(untimed: RawBuilder<unknown>[], edge: readonly [string, string]): RawBuilder<unknown> {
  const where = [...untimed, sql`started_at >= ${edge[0]}::timestamptz`, sql`started_at < ${edge[1]}::timestamptz`];
  return sql`(SELECT count(*) FROM ${table('jobs')} WHERE ${and(where)})`;
}

/** A failed job as the operators' view lists it. */
export interface FailedJobView {
  readonly workspaceId: string;
  readonly jobId: string;
  readonly agent: string;
  /** The job's final summary: what went wrong. */
  readonly error: string | null;
  readonly failedAt: Date;
}

/** Job History queries; every one takes the workspace id first (the tenant wall). */
export class JobReadRepository {
  private readonly db: Kysely<JobDB>;
  private readonly raw: Kysely<unknown>;

  private readonly seekFrom: number;

  /** `seekFrom`: the offset from which a page by number seeks through the counters (tests lower it). */
  constructor(deps: { readonly db: Kysely<unknown>; readonly seekFrom?: number }) {
    this.raw = deps.db;
    this.seekFrom = deps.seekFrom ?? SEEK_FROM;
    this.db = (deps.db as Kysely<JobDB>).withSchema(JOBS_SCHEMA);
  }

  /**
   * Newest first, with the total of the filtered list. A page by number skips
   * its predecessors' keys in an index; a page after a cursor seeks straight to
   * its first job, however deep.
   */
  async listJobs(workspaceId: string, filters: JobListFilters, request: JobPageRequest): Promise<JobPage> {
    const { pageSize } = request;
    const after = 'after' in request ? request.after : undefined;
    const offset = after ? after.offset : (request as { page: number }).page * pageSize - pageSize;
    const start = after ?? (offset >= this.seekFrom ? await this.seek(workspaceId, filters, offset) : { skip: offset });
    const [rows, total] = await Promise.all([start === 'past-end' ? [] : this.pageRows(workspaceId, filters, pageSize + 1, start), this.countJobs(workspaceId, filters)]);
    const items = rows.slice(0, pageSize);
    const last = rows.length > pageSize ? items[items.length - 1] : undefined;
    const nextCursor = last ? encodeJobCursor({ startedAt: last.position, jobId: last.job_id, offset: offset + pageSize, filters: filtersKey(filters) }) : null;
    return {
      items: items.map(summaryOf),
      total,
      page: Math.floor(offset / pageSize) + 1,
      pageSize,
      pageCount: Math.ceil(total / pageSize),
      nextCursor,
    };
  }

  /**
   * Where a deep page by number starts, from the per-day counters: before the
   * end of the day holding its first job, skipping the list's jobs of that day
   * that come first — so the page reads at most a day of keys, not all before it.
   * `past-end` when the list is shorter than `offset`.
   */
  private async seek(workspaceId: string, filters: JobListFilters, offset: number): Promise<PageStart | 'past-end'> {
    const range = filters.from === undefined && filters.to === undefined ? {} : countRange(filters.from, filters.to);
    if (range === undefined) return { skip: offset };
    const untimed = conditions(workspaceId, filters, false);
    // the partial day at the top of a list that ends at `to`
    const tail = range.tail ? edgeCount(untimed, range.tail) : sql`0`;
    const { rows } = await sql<{ tail: string; day: string | null; newer: string | null }>`
      SELECT t.tail, d.day::text AS day, d.newer FROM (SELECT ${tail}::bigint AS tail) AS t
      LEFT JOIN LATERAL (
        SELECT day, running - jobs AS newer FROM (
          SELECT day, sum(jobs) AS jobs, sum(sum(jobs)) OVER (ORDER BY day DESC) AS running
          FROM ${table('job_day_counts')} WHERE ${and(dayConditions(untimed, range))} GROUP BY day) AS per_day
        WHERE running > ${offset} - t.tail ORDER BY day DESC LIMIT 1) AS d ON true`.execute(this.raw);
    const { tail: tailJobs, day, newer } = rows[0]!;
    if (offset < Number(tailJobs)) return { skip: offset };
    if (day === null) return range.fromDay === undefined ? 'past-end' : { skip: offset };
    const dayEnd = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString();
    return { before: dayEnd, skip: offset - Number(tailJobs) - Number(newer) };
  }

  /** Keys first (from the index that matches the filters), then the rows of just those jobs. */
  private async pageRows(workspaceId: string, filters: JobListFilters, limit: number, start: JobCursor | PageStart): Promise<Array<SummaryColumns & { position: string }>> {
    const where = conditions(workspaceId, filters);
    let skip = 0;
    if ('jobId' in start) where.push(sql`(started_at, job_id) < (${start.startedAt}::timestamptz, ${start.jobId})`);
    else {
      if (start.before !== undefined) where.push(sql`started_at < ${start.before}::timestamptz`);
      skip = start.skip;
    }
    const { rows } = await sql<SummaryColumns & { position: string }>`
      SELECT j.job_id, j.agent, j.status, j.started_at, j.ended_at, j.duration_ms, j.step_count,
             to_char(k.started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position
      FROM (SELECT workspace_id, job_id, started_at FROM ${table('jobs')} WHERE ${and(where)}
            ORDER BY started_at DESC, job_id DESC LIMIT ${limit} OFFSET ${skip}) AS k
      JOIN ${table('jobs')} AS j ON j.workspace_id = k.workspace_id AND j.job_id = k.job_id
      ORDER BY k.started_at DESC, k.job_id DESC`.execute(this.raw);
    return rows;
  }

  /**
   * The filtered list's exact total, from the counters: per agent × status,
   * and per day when the list has a time range (its partial days at either
   * end counted from the jobs: at most a day each).
   */
  async countJobs(workspaceId: string, filters: JobListFilters): Promise<number> {
    const untimed = conditions(workspaceId, filters, false);
    if (filters.from === undefined && filters.to === undefined) {
      const { rows } = await sql<{ total: string }>`SELECT coalesce(sum(jobs), 0) AS total FROM ${table('job_counts')} WHERE ${and(untimed)}`.execute(this.raw);
      return Number(rows[0]!.total);
    }
    const range = countRange(filters.from, filters.to);
    if (range === undefined) {
      const { rows } = await sql<{ total: string }>`SELECT count(*) AS total FROM ${table('jobs')} WHERE ${and(conditions(workspaceId, filters))}`.execute(this.raw);
      return Number(rows[0]!.total);
    }
    const parts = [sql`(SELECT coalesce(sum(jobs), 0) FROM ${table('job_day_counts')} WHERE ${and(dayConditions(untimed, range))})`];
    for (const edge of [range.head, range.tail]) if (edge !== undefined) parts.push(edgeCount(untimed, edge));
    const { rows } = await sql<{ total: string }>`SELECT ${sql.join(parts, sql` + `)} AS total`.execute(this.raw);
    return Number(rows[0]!.total);
  }

  /**
   * The job with its steps in order; undefined when the workspace has no such
   * job. The job and its steps are read side by side (two connections), each
   * by its primary key, only the columns the detail shows.
   */
  async getJob(workspaceId: string, jobId: string): Promise<JobDetailView | undefined> {
    const [job, steps] = await Promise.all([
      this.db
        .selectFrom('jobs')
        .select(['job_id', 'agent', 'status', 'started_at', 'ended_at', 'duration_ms', 'step_count', 'summary', 'input', 'metadata', 'source'])
        .where('workspace_id', '=', workspaceId)
        .where('job_id', '=', jobId)
        .executeTakeFirst(),
      this.db
        .selectFrom('job_steps')
        .select(['sequence', 'step_id', 'type', 'content', 'tool_name', 'tool_status', 'parameters', 'result', 'duration_ms', 'at', 'truncated'])
        .where('workspace_id', '=', workspaceId)
        .where('job_id', '=', jobId)
        .orderBy('sequence')
        .execute(),
    ]);
    if (!job) return undefined;
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

  /**
   * The organization's failed jobs, newest end first, with their final summary (the error): the operators'
   * view of failed executions. `limit` rows from `offset`, and how many there are.
   */
  async failedJobs(organizationId: string, limit: number, offset = 0): Promise<{ total: number; items: FailedJobView[] }> {
    const base = this.db.selectFrom('jobs').where('organization_id', '=', organizationId).where('status', '=', 'failed');
    const [rows, count] = await Promise.all([
      base
        .select(['workspace_id', 'job_id', 'agent', 'summary', 'started_at', 'ended_at'])
        .orderBy('ended_at', 'desc')
        .orderBy('job_id')
        .limit(limit)
        .offset(offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
    ]);
    return {
      total: Number(count.total),
      items: rows.map((row) => ({ workspaceId: row.workspace_id, jobId: row.job_id, agent: row.agent, error: row.summary, failedAt: row.ended_at ?? row.started_at })),
    };
  }
}
