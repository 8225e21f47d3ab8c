/**
 * The team-rbac service as a process:
 * `node -r @swc-node/register services/team-rbac/src/main.ts`.
 *
 * Answers the team context's commands over NATS request/reply on
 * `<prefix>cmd.team.<CommandType>` in the queue group `team-rbac` (run any
 * number of replicas: concurrent writers are serialised by the event store's
 * expected revisions). Environment: DATABASE_URL, EVENT_STORE_SCHEMA, NATS_URL,
 * NATS_PREFIX, LOG_LEVEL, OTEL_EXPORTER_OTLP_ENDPOINT. Migrates the event
 * store and the user-token table (idempotent), logs `team-rbac started`; on SIGTERM / SIGINT stops
 * taking commands, lets the running ones answer, then closes.
 */
import pg from 'pg';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@steward/config';
import { PostgresEventStore } from '@steward/event-store';
import { commandTransportOptions, natsNames } from '@steward/messaging';
import { createLogger, initTelemetry, startOpsServerFromEnv } from '@steward/observability';
import { PlatformAdminDirectory, migrateUserTokens, parsePlatformAdmins } from '@steward/team-rbac';
import { Kysely, PostgresDialect } from 'kysely';
import { matrixAuthorizer } from './shared/team-authorizer';
import { TeamRbacModule } from './team-rbac.module';
import { UserTokenStore } from './user-tokens/user-token.store';

export const TEAM_RBAC_QUEUE = 'team-rbac';

async function main(): Promise<void> {
  const config = loadConfig();
  const telemetry = initTelemetry({ serviceName: 'steward-team-rbac' });
  const logger = createLogger({ name: 'team-rbac' });
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 8 });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'));
  const store = new PostgresEventStore({ pool, schema: config.eventStoreSchema });
  const ops = await startOpsServerFromEnv({ metricsHandler: telemetry.metricsHandler, checks: { postgres: () => pool.query('SELECT 1') } });
  await store.migrate();
  await migrateUserTokens(pool);

  const names = natsNames(config.natsPrefix);
  const platformAdmins = new PlatformAdminDirectory({ db: new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) }), configured: parsePlatformAdmins(process.env.STEWARD_PLATFORM_ADMINS) });
  const isPlatformAdmin = (userId: string): Promise<boolean> => platformAdmins.isPlatformAdmin(userId);
  const app = await NestFactory.createMicroservice(TeamRbacModule.register({ store, names, authorize: matrixAuthorizer, userTokens: new UserTokenStore(pool), isPlatformAdmin }), {
    ...commandTransportOptions({ servers: config.natsUrl, queue: TEAM_RBAC_QUEUE, name: `steward-team-rbac-${process.pid}` }),
    logger: ['error', 'warn'],
  });
  await app.listen();
  logger.info({ subjects: names.subject('cmd', 'team', '>'), queue: TEAM_RBAC_QUEUE }, 'team-rbac started');
  ops.ready();

  let stopping: Promise<void> | undefined;
  const shutdown = (signal: NodeJS.Signals): void => {
    stopping ??= (async () => {
      logger.info({ signal }, 'team-rbac stopping');
      ops.stopping();
      await app.close();
      await store.close();
      await pool.end();
      await ops.close();
      logger.info('team-rbac stopped');
      await telemetry.shutdown();
    })().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'team-rbac did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  console.error('team-rbac failed to start:', error);
  process.exit(1);
});
