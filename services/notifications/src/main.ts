/**
 * The notifications service as a process:
 * `node -r @swc-node/register services/notifications/src/main.ts`.
 *
 * Answers the notifications context's commands over NATS request/reply on
 * `<prefix>cmd.notifications.<CommandType>` in the queue group
 * `notifications`, runs the dispatch reactor (events channels subscribe to →
 * one message per channel; one active instance across replicas) and the
 * delivery worker (BullMQ queue `notification-deliveries`: signed webhooks,
 * Slack, email; retries on the schedule, 410 disables, dead letters).
 * Environment: DATABASE_URL, EVENT_STORE_SCHEMA, NATS_URL, NATS_PREFIX,
 * REDIS_URL, NOTIFICATIONS_REDIS_PREFIX (else GATEWAY_REDIS_PREFIX, else
 * `steward:`), STEWARD_MASTER_KEY (libs/secrets),
 * NOTIFICATIONS_WEBHOOK_ALLOWLIST (hosts, addresses, CIDRs a target may be
 * although private or loopback), NOTIFICATIONS_RETRY_SCHEDULE
 * (`5s,5m,30m,2h,5h,10h,10h`), NOTIFICATIONS_SECRET_OVERLAP_HOURS (24),
 * NOTIFICATIONS_TIMEOUT_MS (15000), SMTP_URL, SMTP_FROM
 * (`Steward <notifications@localhost>`), STEWARD_OPS_PORT / STEWARD_OPS_HOST,
 * LOG_LEVEL, OTEL_EXPORTER_OTLP_ENDPOINT. Logs `notifications started`; on
 * SIGTERM / SIGINT stops taking commands, lets the running deliveries finish,
 * then closes.
 */
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@steward/config';
import { PostgresEventStore } from '@steward/event-store';
import { commandTransportOptions, natsNames } from '@steward/messaging';
import { createLogger, initTelemetry, startOpsServerFromEnv } from '@steward/observability';
import { ProjectionHost } from '@steward/projections';
import { SecretStore, loadKeyring } from '@steward/secrets';
import { TeamAccess, WorkspaceOrganizations } from '@steward/team-rbac';
import { teamNotificationAuthorizer } from './channels/notification-access';
import { NotificationCommandRunner } from './channels/notification-command.runner';
import { DeliveryWorker } from './delivery/delivery.worker';
import { EmailSender } from './delivery/email-sender';
import { MessageLog } from './delivery/message-log';
import { parseRetrySchedule } from './delivery/retry-schedule';
import { TargetGuard, parseAllowList } from './delivery/target-guard';
import { dispatchReactor } from './dispatch/notification-dispatch.reactor';
import { NotificationsModule } from './notifications.module';

export const NOTIFICATIONS_QUEUE = 'notifications';

function positive(name: string, fallback: number): number {
  const text = process.env[name];
  const value = text === undefined || text === '' ? fallback : Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const telemetry = initTelemetry({ serviceName: 'steward-notifications' });
  const logger = createLogger({ name: 'notifications' });
  const guard = new TargetGuard(parseAllowList(process.env.NOTIFICATIONS_WEBHOOK_ALLOWLIST));
  const schedule = parseRetrySchedule(process.env.NOTIFICATIONS_RETRY_SCHEDULE);
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 8 });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'));
  const store = new PostgresEventStore({ pool, schema: config.eventStoreSchema });
  // `deliveries` is built below; /readyz runs its checks only after ops.ready()
  const ops = await startOpsServerFromEnv({
    metricsHandler: telemetry.metricsHandler,
    checks: { postgres: () => pool.query('SELECT 1'), redis: () => deliveries.ping() },
  });
  await store.migrate();
  const secrets = new SecretStore({ pool, keyring: loadKeyring({ logger }) });
  await secrets.migrate();
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  const workspaces = new WorkspaceOrganizations({ db });

  const redisPrefix = process.env.NOTIFICATIONS_REDIS_PREFIX || process.env.GATEWAY_REDIS_PREFIX || 'steward:';
  const runner: NotificationCommandRunner = new NotificationCommandRunner({
    store,
    secrets,
    guard,
    authorize: teamNotificationAuthorizer(new TeamAccess({ store }), workspaces),
    workspaceIn: async (organizationId, workspaceId) => (await workspaces.organizationOf(workspaceId)) === organizationId,
    // `deliveries` is built next; the runner calls this only once commands flow
    enqueue: (job) => deliveries.enqueue(job),
    secretOverlapMs: positive('NOTIFICATIONS_SECRET_OVERLAP_HOURS', 24) * 3_600_000,
  });
  const log = new MessageLog(store);
  const smtpUrl = process.env.SMTP_URL;
  const email = smtpUrl ? new EmailSender({ url: smtpUrl, from: process.env.SMTP_FROM || 'Steward <notifications@localhost>' }) : null;
  const deliveries: DeliveryWorker = new DeliveryWorker({
    connection: { url: config.redisUrl, maxRetriesPerRequest: null },
    prefix: `${redisPrefix}bull`,
    runner,
    log,
    secrets,
    guard,
    logger,
    schedule,
    email,
    timeoutMs: positive('NOTIFICATIONS_TIMEOUT_MS', 15_000),
  });
  deliveries.start();
  const reactors = new ProjectionHost({ pool, store, logger, projections: [dispatchReactor({ log, enqueue: (job) => deliveries.enqueue(job) })] });
  await reactors.start();

  const names = natsNames(config.natsPrefix);
  const app = await NestFactory.createMicroservice(NotificationsModule.register({ names, runner }), {
    ...commandTransportOptions({ servers: config.natsUrl, queue: NOTIFICATIONS_QUEUE, name: `steward-notifications-${process.pid}` }),
    logger: ['error', 'warn'],
  });
  await app.listen();
  logger.info({ subjects: names.subject('cmd', 'notifications', '>'), queue: NOTIFICATIONS_QUEUE, attempts: schedule.length + 1, smtp: email !== null }, 'notifications started');
  ops.ready();

  let stopping: Promise<void> | undefined;
  const shutdown = (signal: NodeJS.Signals): void => {
    stopping ??= (async () => {
      logger.info({ signal }, 'notifications stopping');
      ops.stopping();
      await app.close();
      await reactors.stop();
      await deliveries.close();
      email?.close();
      await store.close();
      await pool.end();
      await ops.close();
      logger.info('notifications stopped');
      await telemetry.shutdown();
    })().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'notifications did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  console.error('notifications failed to start:', error);
  process.exit(1);
});
