/**
 * `npm run bench:jobs [-- --jobs 20000 --steps 200000 --iterations 200]`:
 * Job History reads at scale — the job list (first page; a deep page by
 * number and by cursor; filtered by agent and status; filtered by a time
 * range), each with its total, and the detail of a job of 200 steps — p50/p99
 * through JobReadRepository (what the gateway routes call), not HTTP.
 *
 * A fresh database; the read model (`rm_jobs`, created by the jobs
 * projection's own migration) is filled with generate_series: `--jobs` jobs
 * over 10 workspaces (the queried one holds a tenth), `--steps` steps spread
 * over them, plus one job of 200 steps; then the counters the projection keeps
 * alongside the jobs (per workspace × agent × status, and per day) are
 * computed from those rows, and VACUUM ANALYZE stands in for autovacuum.
 * Every measured list's total is checked once against a COUNT(*).
 * The target scale is `--jobs 1000000 --steps 10000000` (minutes of
 * loading: not for a shared machine).
 */
import { loadavg } from 'node:os';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { createTestEnv } from '@steward/testing';
import { JOBS_SCHEMA, JobReadRepository, decodeJobCursor, jobProjection, type JobListFilters, type JobPageRequest } from '@steward/job-history';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] ? Number(process.argv[index + 1]) : fallback;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(iterations: number, run: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 10; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: Math.round(percentile(times, 50) * 100) / 100, p99: Math.round(percentile(times, 99) * 100) / 100 };
}

const seconds = (started: number): number => Math.round((performance.now() - started) / 100) / 10;

/** The total a list answers must be the rows' own count: the counters are exact, not estimates. */
async function checkTotal(db: Kysely<unknown>, repository: JobReadRepository, filters: JobListFilters, request: JobPageRequest): Promise<void> {
  const where = [sql`workspace_id = 'ws_1'`];
  if (filters.agent !== undefined) where.push(sql`agent = ${filters.agent}`);
  if (filters.status !== undefined) where.push(sql`status = ${filters.status}`);
  if (filters.from !== undefined) where.push(sql`started_at >= ${filters.from}::timestamptz`);
  if (filters.to !== undefined) where.push(sql`started_at < ${filters.to}::timestamptz`);
  const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.id(JOBS_SCHEMA, 'jobs')} WHERE ${sql.join(where, sql` AND `)}`.execute(db);
  const page = await repository.listJobs('ws_1', filters, request);
  if (page.total !== Number(rows[0]!.n)) throw new Error(`total ${page.total} for ${JSON.stringify(filters)}, but COUNT(*) says ${rows[0]!.n}`);
  if (page.items.length === 0) throw new Error(`no jobs on the measured page for ${JSON.stringify(filters)}`);
}

async function main(): Promise<void> {
  const jobs = option('jobs', 20_000);
  const steps = option('steps', 200_000);
  const iterations = option('iterations', 200);
  const env = await createTestEnv();
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: env.pool }) });
  try {
    await sql`CREATE SCHEMA ${sql.id(JOBS_SCHEMA)}`.execute(db);
    await jobProjection.migrate(db.withSchema(JOBS_SCHEMA), JOBS_SCHEMA);
    const loadStarted = performance.now();
    await sql`
      INSERT INTO ${sql.id(JOBS_SCHEMA, 'jobs')} (workspace_id, job_id, agent, status, started_at, ended_at, duration_ms, source, step_count)
      SELECT 'ws_' || (i % 10), 'job-' || i, 'agent-' || (i % 7),
             CASE WHEN i % 5 = 0 THEN 'running' WHEN i % 11 = 0 THEN 'failed' ELSE 'success' END,
             timestamptz '2026-01-01' + (i || ' seconds')::interval,
             CASE WHEN i % 5 = 0 THEN NULL ELSE timestamptz '2026-01-01' + (i || ' seconds')::interval + interval '90 seconds' END,
             CASE WHEN i % 5 = 0 THEN NULL ELSE 90000 END, 'api', ${Math.floor(steps / jobs)}
      FROM generate_series(1, ${jobs}) AS i`.execute(db);
    await sql`
      INSERT INTO ${sql.id(JOBS_SCHEMA, 'job_steps')} (workspace_id, job_id, sequence, step_id, type, content, tool_name, at)
      SELECT 'ws_' || (j % 10), 'job-' || j, s, 's' || s,
             (ARRAY['user_message','assistant_response','tool_call','tool_result','system'])[1 + s % 5],
             'step ' || s || ' of job ' || j || ': ' || repeat('lorem ipsum ', 20), CASE WHEN s % 5 IN (2, 3) THEN 'search' END,
             timestamptz '2026-01-01' + (j || ' seconds')::interval + (s || ' milliseconds')::interval
      FROM generate_series(1, ${steps}) AS n, LATERAL (SELECT 1 + (n - 1) % ${jobs} AS j, 1 + (n - 1) / ${jobs} AS s) AS x`.execute(db);
    // the job of 200 steps
    await sql`
      INSERT INTO ${sql.id(JOBS_SCHEMA, 'jobs')} (workspace_id, job_id, agent, status, started_at, source, step_count)
      VALUES ('ws_1', 'big-job', 'agent-1', 'running', timestamptz '2025-12-31', 'api', 200)`.execute(db);
    await sql`
      INSERT INTO ${sql.id(JOBS_SCHEMA, 'job_steps')} (workspace_id, job_id, sequence, step_id, type, content, at)
      SELECT 'ws_1', 'big-job', s, 's' || s, 'assistant_response', repeat('answer ', 100), timestamptz '2025-12-31' + (s || ' seconds')::interval
      FROM generate_series(1, 200) AS s`.execute(db);
    const loadSeconds = seconds(loadStarted);
    const countersStarted = performance.now();
    await sql`
      INSERT INTO ${sql.id(JOBS_SCHEMA, 'job_counts')} (workspace_id, agent, status, jobs)
      SELECT workspace_id, agent, status, count(*) FROM ${sql.id(JOBS_SCHEMA, 'jobs')} GROUP BY 1, 2, 3`.execute(db);
    await sql`
      INSERT INTO ${sql.id(JOBS_SCHEMA, 'job_day_counts')} (workspace_id, day, agent, status, jobs)
      SELECT workspace_id, (started_at at time zone 'UTC')::date, agent, status, count(*) FROM ${sql.id(JOBS_SCHEMA, 'jobs')} GROUP BY 1, 2, 3, 4`.execute(db);
    const countersSeconds = seconds(countersStarted);
    const vacuumStarted = performance.now();
    await sql`VACUUM ANALYZE`.execute(db);
    const vacuumSeconds = seconds(vacuumStarted);

    const repository = new JobReadRepository({ db });
    const perWorkspace = Math.ceil(jobs / 10);
    const deepPage = Math.max(2, Math.floor(perWorkspace / 20 / 2));
    // the cursor a client holds after walking to the page before the deep one
    const cursorText = (await repository.listJobs('ws_1', {}, { page: deepPage - 1, pageSize: 20 })).nextCursor;
    const after = cursorText === null ? undefined : decodeJobCursor(cursorText);
    if (!after) throw new Error('the page before the deep page answered no cursor');
    // the jobs start a second apart from 2026-01-01: the middle 80 % of them (at the target scale, whole days and a partial day at either end)
    const instant = (second: number): string => new Date(Date.parse('2026-01-01T00:00:00Z') + Math.round(second) * 1000).toISOString();
    const range: JobListFilters = { from: instant(jobs * 0.1), to: instant(jobs * 0.9) };
    const lists: Array<[string, JobListFilters, JobPageRequest]> = [
      ['list, first page (20)', {}, { page: 1, pageSize: 20 }],
      [`list, deep page ${deepPage} by number`, {}, { page: deepPage, pageSize: 20 }],
      [`list, deep page ${deepPage} by cursor`, {}, { after, pageSize: 20 }],
      ['list, agent + status filter', { agent: 'agent-3', status: 'failed' }, { page: 1, pageSize: 20 }],
      ['list, time range filter', range, { page: 1, pageSize: 20 }],
    ];
    const figures: Record<string, { p50: number; p99: number }> = {};
    for (const [name, filters, request] of lists) {
      await checkTotal(db, repository, filters, request);
      figures[name] = await measure(iterations, () => repository.listJobs('ws_1', filters, request));
    }
    figures['detail, 200 steps'] = await measure(iterations, () => repository.getJob('ws_1', 'big-job'));
    const detail = await repository.getJob('ws_1', 'big-job');
    if (detail?.steps.length !== 200) throw new Error(`the big job answered ${detail?.steps.length} steps`);

    console.log(`jobs ${jobs} (${perWorkspace} in the queried workspace), steps ${steps}, ${iterations} iterations each`);
    console.log(`loaded in ${loadSeconds} s (rows), counters ${countersSeconds} s, VACUUM ANALYZE ${vacuumSeconds} s; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log('query                              p50 ms    p99 ms');
    for (const [name, { p50, p99 }] of Object.entries(figures)) console.log(`${name.padEnd(34)} ${String(p50).padStart(7)} ${String(p99).padStart(9)}`);
  } finally {
    await env.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
