/**
 * The job-history service as a process:
 * `node -r @swc-node/register services/job-history/src/main.ts`.
 *
 * Answers the jobs context's commands (StartJob, RecordJobSteps, FinishJob)
 * over NATS request/reply on `<prefix>cmd.jobs.<CommandType>` in the queue
 * group `job-history` (internal agents send them directly; the gateway sends
 * them for HTTP and OTLP), and runs the BullMQ repeatable job that finishes
 * jobs running past JOB_TIMEOUT_MS (default 24 h) as `timed_out`.
 *
 * Environment: DATABASE_URL, EVENT_STORE_SCHEMA, NATS_URL, NATS_PREFIX,
 * REDIS_URL, JOB_HISTORY_REDIS_PREFIX (else GATEWAY_REDIS_PREFIX, else
 * `steward:`), JOB_TIMEOUT_MS, JOB_TIMEOUT_SWEEP_EVERY_MS (60000), LOG_LEVEL,
 * OTEL_EXPORTER_OTLP_ENDPOINT. Logs `job-history started`; stops cleanly on
 * SIGTERM / SIGINT.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@steward/config';
import { PostgresEventStore } from '@steward/event-store';
import { commandTransportOptions, natsNames } from '@steward/messaging';
import { runService, startOpsServerFromEnv } from '@steward/observability';
import { TeamAccess } from '@steward/team-rbac';
import { JobHistoryModule } from './job-history.module';
import { teamJobAuthorizer } from './jobs/job-access';
import { JobCommandRunner } from './jobs/job-command.runner';
import { JobReadRepository } from '@steward/job-history';
import { DEFAULT_JOB_TIMEOUT_MS, DEFAULT_SWEEP_EVERY_MS, JobTimeoutSweeper } from './timeouts/job-timeout.sweeper';

export const JOB_HISTORY_QUEUE = 'job-history';

function positiveMs(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number of milliseconds`);
  return value;
}

runService('job-history', async ({ logger, telemetry }) => {
  const config = loadConfig();
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 8 });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'));
  const store = new PostgresEventStore({ pool, schema: config.eventStoreSchema });
  const ops = await startOpsServerFromEnv({ metricsHandler: telemetry.metricsHandler, checks: { postgres: () => pool.query('SELECT 1') } });
  await store.migrate();
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });

  const runner = new JobCommandRunner({ store, authorize: teamJobAuthorizer(new TeamAccess({ store })) });
  const names = natsNames(config.natsPrefix);
  const app = await NestFactory.createMicroservice(JobHistoryModule.register({ names, runner }), {
    ...commandTransportOptions({ servers: config.natsUrl, queue: JOB_HISTORY_QUEUE, name: `steward-job-history-${process.pid}` }),
    logger: ['error', 'warn'],
  });
  await app.listen();

  const redisPrefix = process.env.JOB_HISTORY_REDIS_PREFIX || process.env.GATEWAY_REDIS_PREFIX || 'steward:';
  const sweeper = new JobTimeoutSweeper({
    connection: { url: config.redisUrl, maxRetriesPerRequest: null },
    prefix: `${redisPrefix}bull`,
    runner,
    jobs: new JobReadRepository({ db }),
    logger,
    timeoutMs: positiveMs('JOB_TIMEOUT_MS', DEFAULT_JOB_TIMEOUT_MS),
    everyMs: positiveMs('JOB_TIMEOUT_SWEEP_EVERY_MS', DEFAULT_SWEEP_EVERY_MS),
  });
  await sweeper.start();
  return {
    ops,
    details: { subjects: names.subject('cmd', 'jobs', '>'), queue: JOB_HISTORY_QUEUE, timeoutMs: sweeper.timeoutMs },
    stop: [() => app.close(), () => sweeper.close(), () => store.close(), () => db.destroy()],
  };
});
