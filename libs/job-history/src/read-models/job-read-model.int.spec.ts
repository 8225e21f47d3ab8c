import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { JobFinished, JobStarted, JobStepRecorded, JobStreams, type JobFinishStatus, type JobStatus } from '@steward/contracts';
import { PostgresEventStore, comparePositions, type GlobalPosition, type NewEvent } from '@steward/event-store';
import { ProjectionHost } from '@steward/projections';
import { createTestEnv, type TestEnv } from '@steward/testing';
import { decodeJobCursor, type JobListFilters } from './job-cursor';
import { JOBS_PROJECTION, JOBS_SCHEMA, jobProjection } from './job.projection';
import { JobReadRepository, NO_STEPS_MESSAGE, type JobPage } from './job-read.repository';

jest.setTimeout(120_000);

interface Job {
  jobId: string;
  agent: string;
  /** UTC, six fractional digits: sorts as text. */
  startedAt: string;
  status: JobStatus;
}

const HOUR = 3_600_000;
/** An instant as PostgreSQL keeps it: microseconds, UTC. */
const micro = (ms: number, micros = 0): string => `${new Date(ms).toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
const BASE = Date.parse('2026-03-01T00:00:00Z');

describe('jobs read model: counters, pages and cursors, detail — projected from job events in the real store', () => {
  let env: TestEnv;
  let store: PostgresEventStore;
  let host: ProjectionHost;
  let db: Kysely<unknown>;
  let jobs: JobReadRepository;
  const ws = `ws_${randomUUID().slice(0, 8)}`;
  const other = `ws_${randomUUID().slice(0, 8)}`;
  const expected: Job[] = [];
  let last: GlobalPosition | undefined;

  async function append(streamId: string, events: Array<{ type: string; version: number; data: Record<string, unknown> }>): Promise<void> {
    const newEvents: NewEvent[] = events.map((event) => ({
      eventId: randomUUID(),
      type: event.type,
      version: event.version,
      data: event.data,
      metadata: { correlationId: randomUUID(), actor: { type: 'service', id: 'job-history' }, workspaceId: String(event.data.workspaceId), occurredAt: new Date().toISOString() },
    }));
    await store.append(streamId, newEvents, { expectedRevision: 'any' });
    const [newest] = await store.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    if (newest && (last === undefined || comparePositions(newest.position, last) > 0)) last = newest.position;
  }

  const start = (workspaceId: string, job: Job) =>
    append(JobStreams.job(workspaceId, job.jobId), [
      { type: JobStarted.type, version: JobStarted.version, data: { workspaceId, jobId: job.jobId, agent: job.agent, startedAt: job.startedAt, source: 'api' } },
    ]);
  const finish = (workspaceId: string, jobId: string, status: JobFinishStatus, endedAt: string) =>
    append(JobStreams.job(workspaceId, jobId), [
      { type: JobFinished.type, version: JobFinished.version, data: { workspaceId, jobId, status, endedAt, durationMs: 1000, summary: `${status}!` } },
    ]);

  async function caughtUp(): Promise<void> {
    await host.runner(JOBS_PROJECTION).waitForPosition(last!, 60_000);
  }

  beforeAll(async () => {
    env = await createTestEnv();
    store = new PostgresEventStore({ pool: env.pool });
    await store.migrate();
    host = new ProjectionHost({ pool: env.pool, store, projections: [jobProjection], meter: false, lockPollIntervalMs: 100, retryDelayMs: 50 });
    await host.start();
    db = new Kysely({ dialect: new PostgresDialect({ pool: env.pool }) });
    jobs = new JobReadRepository({ db });

    // 60 jobs over five days, 2 h 7 min apart (some with microseconds), three of them started at the same instant
    for (let i = 0; i < 60; i++) {
      const job: Job = { jobId: `job-${String(i).padStart(2, '0')}`, agent: `agent-${i % 3}`, startedAt: micro(BASE + i * 127 * 60_000, i % 4 === 0 ? 0 : 250 + i), status: 'running' };
      expected.push(job);
    }
    const tie = micro(BASE + 30 * HOUR);
    for (const jobId of ['tie-a', 'tie-c', 'tie-b']) expected.push({ jobId, agent: 'agent-1', startedAt: tie, status: 'running' });
    // exactly at a midnight, and a half-millisecond before the next
    expected.push({ jobId: 'midnight', agent: 'agent-2', startedAt: micro(Date.parse('2026-03-03T00:00:00Z')), status: 'running' });
    expected.push({ jobId: 'just-before', agent: 'agent-2', startedAt: micro(Date.parse('2026-03-03T23:59:59.999Z'), 500), status: 'running' });
    for (const job of expected) await start(ws, job);
    await start(other, { jobId: 'job-00', agent: 'agent-0', startedAt: micro(BASE), status: 'running' });
    for (const [index, job] of expected.entries()) {
      const status: JobFinishStatus | undefined = index % 3 === 0 ? 'success' : index % 5 === 1 ? 'failed' : index % 7 === 2 ? 'cancelled' : undefined;
      if (!status) continue;
      await finish(ws, job.jobId, status, micro(Date.parse(job.startedAt) + 1000));
      job.status = status;
    }
    // the same outcome again (a resent finish): the job changes status once, the counters once
    await finish(ws, 'job-03', 'success', micro(Date.parse(expected[3]!.startedAt) + 2000));
    await caughtUp();
  });

  afterAll(async () => {
    await host?.stop();
    await store?.close();
    await env?.dispose();
  });

  /** The list as the rows say: filtered, newest first (ties by job id, descending). */
  function listed(filters: JobListFilters): string[] {
    const norm = (iso: string): string => micro(Date.parse(iso), Number((/\.(\d+)/.exec(iso)?.[1] ?? '').padEnd(6, '0').slice(3, 6)));
    return expected
      .filter((job) => filters.agent === undefined || job.agent === filters.agent)
      .filter((job) => filters.status === undefined || job.status === filters.status)
      .filter((job) => filters.from === undefined || job.startedAt >= norm(filters.from))
      .filter((job) => filters.to === undefined || job.startedAt < norm(filters.to))
      .sort((a, b) => (a.startedAt === b.startedAt ? (a.jobId < b.jobId ? 1 : -1) : a.startedAt < b.startedAt ? 1 : -1))
      .map((job) => job.jobId);
  }

  const filterSets: JobListFilters[] = [
    {},
    { agent: 'agent-1' },
    { status: 'running' },
    { status: 'failed' },
    { agent: 'agent-2', status: 'success' },
    { agent: 'nobody' },
    // whole days with partial days at both ends
    { from: '2026-03-01T10:30:00.000000Z', to: '2026-03-04T05:00:00.000000Z' },
    { from: '2026-03-03T00:00:00.000000Z', to: '2026-03-05T00:00:00.000000Z' },
    { from: '2026-03-03T23:59:59.999500Z' },
    { from: '2026-03-03T23:59:59.999501Z', agent: 'agent-2' },
    { to: '2026-03-03T00:00:00.000000Z', status: 'success' },
    { to: '2026-03-03T23:59:59.9995Z' },
    // within one day, and no whole day across a midnight
    { from: '2026-03-02T01:00:00.000000Z', to: '2026-03-02T20:00:00.000000Z' },
    { from: '2026-03-02T12:00:00.000000Z', to: '2026-03-03T12:00:00.000000Z', agent: 'agent-0' },
    // an offset other than Z
    { from: '2026-03-02T02:00:00+02:00', to: '2026-03-04T01:00:00+01:00' },
  ];

  it.each(filterSets)('answers the exact total and the rows of %j, by page number', async (filters) => {
    const rows = listed(filters);
    const first = await jobs.listJobs(ws, filters, { page: 1, pageSize: 100 });
    expect(first.items.map((item) => item.jobId)).toEqual(rows);
    expect(first).toMatchObject({ total: rows.length, page: 1, pageSize: 100, pageCount: Math.ceil(rows.length / 100), nextCursor: null });
    // every page, read by skipping keys and by seeking through the per-day counters first
    const seeking = new JobReadRepository({ db, seekFrom: 1 });
    for (const repository of [jobs, seeking]) {
      for (let page = 1; page <= Math.ceil(rows.length / 4) + 1; page++) {
        const answer = await repository.listJobs(ws, filters, { page, pageSize: 4 });
        expect(answer.items.map((item) => item.jobId)).toEqual(rows.slice(page * 4 - 4, page * 4));
        expect(answer.total).toBe(rows.length);
      }
    }
  });

  it('walks the whole list by cursor, page after page: every job once, in order, ties and microseconds included; the last page has no cursor', async () => {
    for (const filters of [{}, { agent: 'agent-1' }, { from: '2026-03-01T10:30:00Z', to: '2026-03-04T05:00:00Z' }] as JobListFilters[]) {
      const seen: string[] = [];
      let page: JobPage = await jobs.listJobs(ws, filters, { page: 1, pageSize: 7 });
      const pages = [page];
      while (page.nextCursor !== null) {
        const after = decodeJobCursor(page.nextCursor)!;
        page = await jobs.listJobs(ws, filters, { after, pageSize: 7 });
        pages.push(page);
      }
      for (const each of pages) seen.push(...each.items.map((item) => item.jobId));
      expect(seen).toEqual(listed(filters));
      expect(pages.map((each) => each.page)).toEqual(pages.map((_, index) => index + 1));
      expect(pages.at(-1)!.pageCount).toBe(pages.length);
    }
    // a page by number answers the cursor of the page after it
    const third = await jobs.listJobs(ws, {}, { page: 3, pageSize: 5 });
    const fourth = await jobs.listJobs(ws, {}, { after: decodeJobCursor(third.nextCursor!)!, pageSize: 5 });
    expect(fourth.items.map((item) => item.jobId)).toEqual(listed({}).slice(15, 20));
    expect(fourth.page).toBe(4);
  });

  it('keeps the counters equal to the rows, per workspace, agent, status and day, the other workspace apart', async () => {
    const counted = await sql<{ workspace_id: string; agent: string; status: string; jobs: string }>`
      SELECT workspace_id, agent, status, count(*)::text AS jobs FROM ${sql.table(`${JOBS_SCHEMA}.jobs`)} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`.execute(db);
    const kept = await sql<{ workspace_id: string; agent: string; status: string; jobs: string }>`
      SELECT workspace_id, agent, status, jobs::text FROM ${sql.table(`${JOBS_SCHEMA}.job_counts`)} WHERE jobs <> 0 ORDER BY 1, 2, 3`.execute(db);
    expect(kept.rows).toEqual(counted.rows);
    const countedDays = await sql`
      SELECT workspace_id, ((started_at at time zone 'UTC')::date)::text AS day, agent, status, count(*)::text AS jobs
      FROM ${sql.table(`${JOBS_SCHEMA}.jobs`)} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`.execute(db);
    const keptDays = await sql`
      SELECT workspace_id, day::text AS day, agent, status, jobs::text FROM ${sql.table(`${JOBS_SCHEMA}.job_day_counts`)} WHERE jobs <> 0 ORDER BY 1, 2, 3, 4`.execute(db);
    expect(keptDays.rows).toEqual(countedDays.rows);
    expect((await jobs.listJobs(other, {}, { page: 1, pageSize: 20 })).total).toBe(1);
  });

  it('answers a job with its steps in order in one read, and a job without steps with the message; another workspace has neither', async () => {
    const at = '2026-03-01T00:00:01.234567Z';
    await append(JobStreams.job(ws, 'job-01'), [
      { type: JobStepRecorded.type, version: JobStepRecorded.version, data: { workspaceId: ws, jobId: 'job-01', stepId: 'a', sequence: 1, type: 'user_message', content: 'hello', at } },
      {
        type: JobStepRecorded.type,
        version: JobStepRecorded.version,
        data: { workspaceId: ws, jobId: 'job-01', stepId: 'b', sequence: 2, type: 'tool_call', toolName: 'search', toolStatus: 'pending', parameters: { q: 'oslo', n: [1, 2] }, at },
      },
      {
        type: JobStepRecorded.type,
        version: JobStepRecorded.version,
        data: { workspaceId: ws, jobId: 'job-01', stepId: 'c', sequence: 3, type: 'tool_result', toolName: 'search', toolStatus: 'success', result: 'ok', durationMs: 12, at, truncated: [{ field: 'result', originalBytes: 300000 }] },
      },
    ]);
    await caughtUp();
    const job = await jobs.getJob(ws, 'job-01');
    expect(job).toEqual({
      jobId: 'job-01',
      agent: 'agent-1',
      status: 'failed',
      startedAt: new Date(Date.parse(expected[1]!.startedAt)).toISOString(),
      endedAt: new Date(Date.parse(expected[1]!.startedAt) + 1000).toISOString(),
      durationMs: 1000,
      stepCount: 3,
      summary: 'failed!',
      input: null,
      metadata: null,
      source: 'api',
      message: null,
      steps: [
        { sequence: 1, stepId: 'a', type: 'user_message', content: 'hello', toolName: null, toolStatus: null, parameters: null, result: null, durationMs: null, at: '2026-03-01T00:00:01.234Z', truncated: null },
        { sequence: 2, stepId: 'b', type: 'tool_call', content: null, toolName: 'search', toolStatus: 'pending', parameters: { q: 'oslo', n: [1, 2] }, result: null, durationMs: null, at: '2026-03-01T00:00:01.234Z', truncated: null },
        {
          sequence: 3,
          stepId: 'c',
          type: 'tool_result',
          content: null,
          toolName: 'search',
          toolStatus: 'success',
          parameters: null,
          result: 'ok',
          durationMs: 12,
          at: '2026-03-01T00:00:01.234Z',
          truncated: [{ field: 'result', originalBytes: 300000 }],
        },
      ],
    });
    expect(await jobs.getJob(ws, 'job-02')).toMatchObject({ steps: [], message: NO_STEPS_MESSAGE, stepCount: 0 });
    expect(await jobs.getJob(other, 'job-01')).toBeUndefined();
    expect(await jobs.getJob(other, 'job-00')).toMatchObject({ jobId: 'job-00', steps: [] });
  });
});
