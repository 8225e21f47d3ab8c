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
 */
export const jobProjection = defineProjection<JobDB>({
  name: JOBS_PROJECTION,
  version: 1,
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
      .execute();
    // the list: newest first, optionally by agent or status
    await db.schema.createIndex('jobs_by_start').on('jobs').columns(['workspace_id', 'started_at desc', 'job_id desc']).execute();
    await db.schema.createIndex('jobs_by_agent').on('jobs').columns(['workspace_id', 'agent', 'started_at desc', 'job_id desc']).execute();
    await db.schema.createIndex('jobs_by_status').on('jobs').columns(['workspace_id', 'status', 'started_at desc', 'job_id desc']).execute();
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
  },
  async handle(trx, events) {
    const jobs: NewJobRow[] = [];
    const steps: NewJobStepRow[] = [];
    const finishes: JobFinishedData[] = [];
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
        finishes.push(event.data as JobFinishedData);
      }
    }
    await insertJobs(trx, jobs);
    await insertSteps(trx, steps);
    for (const d of finishes) {
      await trx
        .updateTable('jobs')
        .set({ status: d.status, ended_at: d.endedAt, duration_ms: d.durationMs, summary: d.summary ?? null })
        .where('workspace_id', '=', d.workspaceId)
        .where('job_id', '=', d.jobId)
        .execute();
    }
  },
});

const CHUNK = 500;

async function insertJobs(trx: Transaction<JobDB>, rows: NewJobRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await trx.insertInto('jobs').values(rows.slice(i, i + CHUNK)).onConflict((c) => c.columns(['workspace_id', 'job_id']).doNothing()).execute();
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
    for (const { workspaceId, jobId, count } of counts.values()) {
      await trx
        .updateTable('jobs')
        .set((eb) => ({ step_count: eb('step_count', '+', count) }))
        .where('workspace_id', '=', workspaceId)
        .where('job_id', '=', jobId)
        .execute();
    }
  }
}
