import { sql, type Transaction } from 'kysely';
import { JOB_STREAM_PREFIX, type JobFinishedData, type JobStartedData, type JobStepRecordedData } from '@steward/contracts';
import { defineProjection, projectionSchema } from '@steward/projections';
import type { JobDB } from './job-db';
import type { NewJobStepRow } from './job-steps.table';
import type { NewJobRow } from './jobs.table';

export const JOBS_PROJECTION = 'jobs';
/** `rm_jobs`: the Job History list and each job's steps. */
export const JOBS_SCHEMA = projectionSchema(JOBS_PROJECTION);

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

/**
 * Job History from the job streams. A batch is applied in three passes (new
 * jobs, then steps, then finishes): within one job the events come in that
 * order, so grouping keeps each job's order while writing many rows at once.
 * Every job that starts or changes status moves the workspace's counters
 * (`job_counts`, `job_day_counts`) in the same transaction, so the list's
 * total is read, not counted.
 */
export const jobProjection = defineProjection<JobDB>({
  name: JOBS_PROJECTION,
  version: 2,
  eventTypes: ['JobStarted', 'JobStepRecorded', 'JobFinished'],
  streamPrefixes: [JOB_STREAM_PREFIX],
  async migrate(db) {
    await db.schema
      .createTable('jobs')
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('job_id', 'text', (c) => c.notNull())
      .addColumn('organization_id', 'text')
      .addColumn('agent', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('started_at', 'timestamptz', (c) => c.notNull())
      .addColumn('ended_at', 'timestamptz')
      .addColumn('duration_ms', 'bigint')
      .addColumn('summary', 'text')
      .addColumn('input', 'text')
      .addColumn('metadata', 'jsonb')
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('step_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('jobs_pk', ['workspace_id', 'job_id'])
      .modifyEnd(sql`with (fillfactor = 90)`)
      .execute();
    // the list: newest first, optionally by agent, status or both (a page reads its keys from one of these, then its rows by key)
    await db.schema.createIndex('jobs_by_start').on('jobs').columns(['workspace_id', 'started_at desc', 'job_id desc']).execute();
    await db.schema.createIndex('jobs_by_agent').on('jobs').columns(['workspace_id', 'agent', 'started_at desc', 'job_id desc']).execute();
    await db.schema.createIndex('jobs_by_status').on('jobs').columns(['workspace_id', 'status', 'started_at desc', 'job_id desc']).execute();
    await db.schema.createIndex('jobs_by_agent_status').on('jobs').columns(['workspace_id', 'agent', 'status', 'started_at desc', 'job_id desc']).execute();
    // the timeout sweeper: running jobs by age, across workspaces
    await db.schema.createIndex('jobs_running').on('jobs').column('started_at').where(sql.ref('status'), '=', 'running').execute();
    await db.schema
      .createTable('job_steps')
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('job_id', 'text', (c) => c.notNull())
      .addColumn('sequence', 'integer', (c) => c.notNull())
      .addColumn('step_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('content', 'text')
      .addColumn('tool_name', 'text')
      .addColumn('tool_status', 'text')
      .addColumn('parameters', 'jsonb')
      .addColumn('result', 'jsonb')
      .addColumn('duration_ms', 'integer')
      .addColumn('at', 'timestamptz', (c) => c.notNull())
      .addColumn('truncated', 'jsonb')
      .addPrimaryKeyConstraint('job_steps_pk', ['workspace_id', 'job_id', 'sequence'])
      .execute();
    await db.schema
      .createTable('job_counts')
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('agent', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('jobs', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('job_counts_pk', ['workspace_id', 'agent', 'status'])
      .execute();
    await db.schema
      .createTable('job_day_counts')
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('day', 'date', (c) => c.notNull())
      .addColumn('agent', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('jobs', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('job_day_counts_pk', ['workspace_id', 'day', 'agent', 'status'])
      .execute();
  },
  async handle(trx, events) {
    const jobs: NewJobRow[] = [];
    const steps: NewJobStepRow[] = [];
    // one finish per job (the last): a job changes status once
    const finishes = new Map<string, JobFinishedData>();
    for (const event of events) {
      if (event.type === 'JobStarted') {
        const d = event.data as JobStartedData;
        jobs.push({
          workspace_id: d.workspaceId,
          job_id: d.jobId,
          organization_id: d.organizationId ?? event.metadata.organizationId ?? null,
          agent: d.agent,
          status: 'running',
          started_at: d.startedAt,
          ended_at: null,
          duration_ms: null,
          summary: null,
          input: d.input ?? null,
          metadata: json(d.metadata),
          source: d.source,
          step_count: 0,
        });
      } else if (event.type === 'JobStepRecorded') {
        const d = event.data as JobStepRecordedData;
        steps.push({
          workspace_id: d.workspaceId,
          job_id: d.jobId,
          sequence: d.sequence,
          step_id: d.stepId,
          type: d.type,
          content: d.content ?? null,
          tool_name: d.toolName ?? null,
          tool_status: d.toolStatus ?? null,
          parameters: json(d.parameters),
          result: json(d.result),
          duration_ms: d.durationMs ?? null,
          at: d.at,
          truncated: json(d.truncated),
        });
      } else if (event.type === 'JobFinished') {
        const d = event.data as JobFinishedData;
        finishes.set(`${d.workspaceId}\n${d.jobId}`, d);
      }
    }
    const counts = new CountDeltas();
    await insertJobs(trx, jobs, counts);
    await insertSteps(trx, steps);
    await finishJobs(trx, [...finishes.values()], counts);
    await counts.write(trx);
  },
});

const CHUNK = 500;

/** A job that started (+1 to running) or changed status (−1 from, +1 to), per workspace × agent × status, and per day too. */
class CountDeltas {
  private readonly totals = new Map<string, { workspaceId: string; agent: string; status: string; delta: number }>();
  private readonly days = new Map<string, { workspaceId: string; day: string; agent: string; status: string; delta: number }>();

  add(workspaceId: string, day: string, agent: string, status: string, delta: number): void {
    const key = `${workspaceId}\n${agent}\n${status}`;
    const total = this.totals.get(key) ?? { workspaceId, agent, status, delta: 0 };
    total.delta += delta;
    this.totals.set(key, total);
    const dayKey = `${key}\n${day}`;
    const perDay = this.days.get(dayKey) ?? { workspaceId, day, agent, status, delta: 0 };
    perDay.delta += delta;
    this.days.set(dayKey, perDay);
  }

  async write(trx: Transaction<JobDB>): Promise<void> {
    const totals = [...this.totals.values()].filter((entry) => entry.delta !== 0);
    for (let i = 0; i < totals.length; i += CHUNK) {
      const rows = totals.slice(i, i + CHUNK).map((e) => sql`(${e.workspaceId}, ${e.agent}, ${e.status}, ${e.delta}::bigint)`);
      await sql`
        INSERT INTO job_counts AS c (workspace_id, agent, status, jobs) VALUES ${sql.join(rows)}
        ON CONFLICT (workspace_id, agent, status) DO UPDATE SET jobs = c.jobs + excluded.jobs`.execute(trx);
    }
    const days = [...this.days.values()].filter((entry) => entry.delta !== 0);
    for (let i = 0; i < days.length; i += CHUNK) {
      const rows = days.slice(i, i + CHUNK).map((e) => sql`(${e.workspaceId}, ${e.day}::date, ${e.agent}, ${e.status}, ${e.delta}::bigint)`);
      await sql`
        INSERT INTO job_day_counts AS c (workspace_id, day, agent, status, jobs) VALUES ${sql.join(rows)}
        ON CONFLICT (workspace_id, day, agent, status) DO UPDATE SET jobs = c.jobs + excluded.jobs`.execute(trx);
    }
  }
}

/** The UTC day a job started on, as the counters key it. */
const startDay = sql<string>`((started_at at time zone 'UTC')::date)::text`;

async function insertJobs(trx: Transaction<JobDB>, rows: NewJobRow[], counts: CountDeltas): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    // a job already there (a replayed start) is not inserted, so not counted
    const inserted = await trx
      .insertInto('jobs')
      .values(rows.slice(i, i + CHUNK))
      .onConflict((c) => c.columns(['workspace_id', 'job_id']).doNothing())
      .returning(['workspace_id', 'agent', 'status', startDay.as('day')])
      .execute();
    for (const row of inserted) counts.add(row.workspace_id, row.day, row.agent, row.status, 1);
  }
}

async function insertSteps(trx: Transaction<JobDB>, rows: NewJobStepRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const inserted = await trx
      .insertInto('job_steps')
      .values(chunk)
      .onConflict((c) => c.columns(['workspace_id', 'job_id', 'sequence']).doNothing())
      .returning(['workspace_id', 'job_id'])
      .execute();
    const counts = new Map<string, { workspaceId: string; jobId: string; count: number }>();
    for (const row of inserted) {
      const key = `${row.workspace_id}\n${row.job_id}`;
      const entry = counts.get(key) ?? { workspaceId: row.workspace_id, jobId: row.job_id, count: 0 };
      entry.count++;
      counts.set(key, entry);
    }
    if (counts.size === 0) continue;
    const added = [...counts.values()].map((e) => sql`(${e.workspaceId}, ${e.jobId}, ${e.count}::integer)`);
    await sql`
      UPDATE jobs AS j SET step_count = j.step_count + added.count
      FROM (VALUES ${sql.join(added)}) AS added (workspace_id, job_id, count)
      WHERE j.workspace_id = added.workspace_id AND j.job_id = added.job_id`.execute(trx);
  }
}

/** Sets each finished job's outcome; a job whose status changed moves the counters. */
async function finishJobs(trx: Transaction<JobDB>, finishes: JobFinishedData[], counts: CountDeltas): Promise<void> {
  for (let i = 0; i < finishes.length; i += CHUNK) {
    const values = finishes
      .slice(i, i + CHUNK)
      .map((d) => sql`(${d.workspaceId}, ${d.jobId}, ${d.status}, ${d.endedAt}::timestamptz, ${d.durationMs}::bigint, ${d.summary ?? null}::text)`);
    // `before` reads the rows as they were: every part of one statement sees the same snapshot
    const { rows } = await sql<{ workspace_id: string; agent: string; day: string; previous: string; status: string }>`
      WITH finish (workspace_id, job_id, status, ended_at, duration_ms, summary) AS (VALUES ${sql.join(values)}),
      before AS (SELECT j.workspace_id, j.job_id, j.status FROM jobs j JOIN finish f USING (workspace_id, job_id))
      UPDATE jobs AS j SET status = f.status, ended_at = f.ended_at, duration_ms = f.duration_ms, summary = f.summary
      FROM finish f JOIN before b USING (workspace_id, job_id)
      WHERE j.workspace_id = f.workspace_id AND j.job_id = f.job_id
      RETURNING j.workspace_id, j.agent, ${startDay} AS day, b.status AS previous, j.status`.execute(trx);
    for (const row of rows) {
      if (row.previous === row.status) continue;
      counts.add(row.workspace_id, row.day, row.agent, row.previous, -1);
      counts.add(row.workspace_id, row.day, row.agent, row.status, 1);
    }
  }
}
