/**
 * The billing service as a process:
 * `node -r @swc-node/register services/billing/src/main.ts`.
 *
 * Answers the billing account's commands over NATS request/reply on
 * `<prefix>cmd.billing.<CommandType>` in the queue group `billing`, and runs
 * its reactors (one active instance each across replicas): consumption
 * (priced usage → CreditsConsumed) and the billing reactions (suspension:
 * CreditsExhausted / CreditsRestored → team-rbac's ChangeWorkspaceStatus;
 * one account opened per organization created), plus the period sweep (periods that
 * ended, grants that expired). Environment: DATABASE_URL, EVENT_STORE_SCHEMA,
 * NATS_URL, NATS_PREFIX, STEWARD_BILLING_PLANS (the plan catalogue, see
 * @steward/billing), STEWARD_BILLING_TIME_ZONE (of accounts opened, default
 * UTC), BILLING_SWEEP_INTERVAL_MS (60000), BILLING_BATCH_SIZE (events per
 * consumption batch, 5000), BILLING_LINGER_MS (once caught up, a consumption fold at most every so many ms, 200), the invoices' (services/billing/src/invoices/invoicing.ts),
 * STEWARD_OPS_PORT / STEWARD_OPS_HOST (/healthz, /readyz: PostgreSQL and the
 * close job's Redis, /metrics), LOG_LEVEL, OTEL_EXPORTER_OTLP_ENDPOINT. Logs
 * `billing started`; on SIGTERM / SIGINT answers /readyz 503, stops taking
 * commands, lets the reactors finish their batch, then closes.
 */
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { NestFactory } from '@nestjs/core';
import { BillingReadRepository, planCatalogueFromEnv } from '@steward/billing';
import { loadConfig } from '@steward/config';
import { isTimeZone } from '@steward/contracts';
import { PostgresEventStore } from '@steward/event-store';
import { CommandClient, commandTransportOptions, natsNames } from '@steward/messaging';
import { runService, startOpsServerFromEnv } from '@steward/observability';
import { ProjectionHost } from '@steward/projections';
import { TeamAccess, WorkspaceOrganizations } from '@steward/team-rbac';
import { AccountStreams } from './accounts/account-streams';
import { teamBillingAuthorizer } from './accounts/billing-access';
import { BillingCommandRunner } from './accounts/billing-command.runner';
import { billingAccountHandler } from './accounts/billing.handler';
import { BillingModule } from './billing.module';
import { invoicing } from './invoices/invoicing';
import { consumptionReactor } from './consumption/consumption.reactor';
import { accountOpener } from './periods/account-opener';
import { PeriodSweep } from './periods/period-sweep';
import { natsTeamCommandSender, suspensionReactor } from './suspension/suspension.reactor';

export const BILLING_QUEUE = 'billing';

function positive(name: string, fallback: number): number {
  const text = process.env[name];
  const value = text === undefined || text === '' ? fallback : Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number`);
  return value;
}

runService('billing', async ({ logger, telemetry }) => {
  const config = loadConfig();
  const catalogue = planCatalogueFromEnv();
  const defaultTimeZone = process.env.STEWARD_BILLING_TIME_ZONE || 'UTC';
  if (!isTimeZone(defaultTimeZone)) throw new Error(`STEWARD_BILLING_TIME_ZONE must be an IANA time zone, not ${defaultTimeZone}`);
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 8 });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'));
  const store = new PostgresEventStore({ pool, schema: config.eventStoreSchema });
  // `invoices` is built below; /readyz runs its checks only after ops.ready()
  const ops = await startOpsServerFromEnv({
    metricsHandler: telemetry.metricsHandler,
    checks: { postgres: () => pool.query('SELECT 1'), redis: () => invoices.ping() },
  });
  await store.migrate();
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });

  const names = natsNames(config.natsPrefix);
  const accounts = new AccountStreams(store);
  const authorize = teamBillingAuthorizer(new TeamAccess({ store }), new WorkspaceOrganizations({ db }));
  const runner = new BillingCommandRunner({ store, accounts, catalogue, defaultTimeZone, authorize, maxAttempts: 50 });
  const invoices = invoicing({ env: process.env, redisUrl: config.redisUrl, store, db, names, catalogue, logger, accounts, runner, authorize });
  const teamCommands = new CommandClient({ servers: config.natsUrl, name: `steward-billing-team-${process.pid}` });
  const batchSize = positive('BILLING_BATCH_SIZE', 5000);
  const reactors = new ProjectionHost({
    pool,
    store,
    logger,
    batchSize,
    projections: [
      // once caught up, a fold at most every BILLING_LINGER_MS: one CreditsConsumed per organization per pause, not per metering append
      consumptionReactor({ store, accounts, runner, minBatchIntervalMs: positive('BILLING_LINGER_MS', 200) }),
      suspensionReactor({ send: natsTeamCommandSender(teamCommands, names), open: accountOpener({ runner }) }),
    ],
  });
  await reactors.start();
  const sweep = new PeriodSweep({ read: new BillingReadRepository(db), runner, logger, intervalMs: positive('BILLING_SWEEP_INTERVAL_MS', 60_000) });
  sweep.start();

  const app = await NestFactory.createMicroservice(
    BillingModule.register({
      controllers: [billingAccountHandler(names), ...invoices.controllers],
      providers: [{ provide: BillingCommandRunner, useValue: runner }, ...invoices.providers],
    }),
    {
      ...commandTransportOptions({ servers: config.natsUrl, queue: BILLING_QUEUE, name: `steward-billing-${process.pid}` }),
      logger: ['error', 'warn'],
    },
  );
  await app.listen();
  await invoices.start();
  return {
    ops,
    details: { paymentProvider: invoices.paymentProvider, subjects: names.subject('cmd', 'billing', '>'), queue: BILLING_QUEUE, plans: catalogue.plans.map((plan) => plan.id) },
    stop: [
      () => app.close(),
      () => sweep.close(),
      () => invoices.close(),
      () => reactors.stop(),
      () => teamCommands.close(),
      () => store.close(),
      () => pool.end(),
    ],
  };
});
