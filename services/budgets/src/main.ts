/**
 * The budgets service as a process:
 * `node -r @swc-node/register services/budgets/src/main.ts`.
 *
 * Answers the budgets context's commands over NATS request/reply on
 * `<prefix>cmd.budgets.<CommandType>` in the queue group `budgets`, and runs
 * the spend reactor (one active instance across replicas): priced usage →
 * spend per budget and period, each threshold crossing raised once, the
 * reservation counters kept in step (holds committed by the usage that
 * carries their id). Environment: DATABASE_URL, EVENT_STORE_SCHEMA, NATS_URL,
 * NATS_PREFIX, REDIS_URL, BUDGETS_REDIS_PREFIX (the counters' key prefix,
 * default `steward:budgets:`), BUDGETS_BATCH_SIZE (events per reactor batch,
 * 2000), BUDGETS_BATCH_INTERVAL_MS (live, a reactor batch at most every so
 * many ms, 200: a batch's reads and writes per budget shared by more usage; 0
 * for each batch as soon as there is one), STEWARD_OPS_PORT / STEWARD_OPS_HOST (/healthz, /readyz: PostgreSQL
 * and Redis, /metrics), LOG_LEVEL, OTEL_EXPORTER_OTLP_ENDPOINT. Logs
 * `budgets started`; on SIGTERM / SIGINT answers /readyz 503, stops taking
 * commands, lets the reactor finish its batch, then closes.
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import { NestFactory } from '@nestjs/core';
import { BudgetCounters, budgetCountersPrefixFromEnv } from '@steward/budgets';
import { loadConfig } from '@steward/config';
import { PostgresEventStore } from '@steward/event-store';
import { commandTransportOptions, natsNames } from '@steward/messaging';
import { runService, startOpsServerFromEnv } from '@steward/observability';
import { ProjectionHost } from '@steward/projections';
import { TeamAccess } from '@steward/team-rbac';
import { teamBudgetAuthorizer } from './budgets/budget-access';
import { BudgetCommandRunner } from './budgets/budget-command.runner';
import { budgetHandler } from './budgets/budget.handler';
import { BudgetsModule } from './budgets.module';
import { spendReactor } from './spend/spend.reactor';

export const BUDGETS_QUEUE = 'budgets';

function positive(name: string, fallback: number): number {
  const text = process.env[name];
  const value = text === undefined || text === '' ? fallback : Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number`);
  return value;
}

function whole(name: string, fallback: number): number {
  const text = process.env[name];
  const value = text === undefined || text === '' ? fallback : Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, 0 or more`);
  return value;
}

runService('budgets', async ({ logger, telemetry }) => {
  const config = loadConfig();
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 6 });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'));
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableAutoPipelining: true });
  redis.on('error', (error) => logger.warn({ err: error }, 'Redis connection error'));
  const ops = await startOpsServerFromEnv({
    metricsHandler: telemetry.metricsHandler,
    checks: { postgres: () => pool.query('SELECT 1'), redis: () => redis.ping() },
  });
  const store = new PostgresEventStore({ pool, schema: config.eventStoreSchema });
  await store.migrate();

  const names = natsNames(config.natsPrefix);
  const runner = new BudgetCommandRunner({ store, authorize: teamBudgetAuthorizer(new TeamAccess({ store })), maxAttempts: 20 });
  const counters = new BudgetCounters({ redis, prefix: budgetCountersPrefixFromEnv(process.env) });
  const reactors = new ProjectionHost({
    pool,
    store,
    logger,
    batchSize: positive('BUDGETS_BATCH_SIZE', 2000),
    projections: [spendReactor({ store, counters, logger, minBatchIntervalMs: whole('BUDGETS_BATCH_INTERVAL_MS', 200) })],
  });
  await reactors.start();

  const app = await NestFactory.createMicroservice(
    BudgetsModule.register({ controllers: [budgetHandler(names)], providers: [{ provide: BudgetCommandRunner, useValue: runner }] }),
    {
      ...commandTransportOptions({ servers: config.natsUrl, queue: BUDGETS_QUEUE, name: `steward-budgets-${process.pid}` }),
      logger: ['error', 'warn'],
    },
  );
  await app.listen();
  return {
    ops,
    details: { subjects: names.subject('cmd', 'budgets', '>'), queue: BUDGETS_QUEUE },
    stop: [
      () => app.close(),
      () => reactors.stop(),
      () => store.close(),
      () => pool.end(),
      () => redis.disconnect(),
    ],
  };
});
