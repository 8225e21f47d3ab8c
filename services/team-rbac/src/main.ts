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
import { runService, startOpsServerFromEnv } from '@steward/observability';
import { PlatformAdminDirectory, migrateUserTokens, parsePlatformAdmins } from '@steward/team-rbac';
import { Kysely, PostgresDialect } from 'kysely';
import { matrixAuthorizer } from './shared/team-authorizer';
import { TeamRbacModule } from './team-rbac.module';
import { UserTokenStore } from './user-tokens/user-token.store';

export const TEAM_RBAC_QUEUE = 'team-rbac';

runService('team-rbac', async ({ logger, telemetry }) => {
  const config = loadConfig();
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
  return {
    ops,
    details: { subjects: names.subject('cmd', 'team', '>'), queue: TEAM_RBAC_QUEUE },
    stop: [
      () => app.close(),
      () => store.close(),
      () => pool.end(),
    ],
  };
});
