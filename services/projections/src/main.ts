/**
 * The projections service: hosts every projection of the catalogue in this
 * process. Run any number of replicas: each projection is active in exactly
 * one of them, the others stand by and take over within seconds.
 *
 * Environment: DATABASE_URL, EVENT_STORE_SCHEMA, STEWARD_PROJECTION_MODULES,
 * PROJECTIONS_BATCH_SIZE, PROJECTIONS_REBUILD_OUTDATED (default on; `false`: leave an outdated read model
 * `needs_rebuild` for `npm run steward -- projections rebuild`), LOG_LEVEL, OTEL_EXPORTER_OTLP_ENDPOINT.
 */
import pg from 'pg';
import { loadConfig } from '@steward/config';
import { PostgresEventStore } from '@steward/event-store';
import { runService, startOpsServerFromEnv } from '@steward/observability';
import { Kysely, PostgresDialect } from 'kysely';
import { connectNats, ensureStreams } from '@steward/messaging';
import { ProjectionHost } from '@steward/projections';
import { ActivityReadRecorder, runActivityReadConsumer } from '@steward/team-rbac';
import { loadProjections } from './projection-catalog';

runService('projections', async ({ logger, telemetry }) => {
  const config = loadConfig();
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 8 });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'));
  const store = new PostgresEventStore({
    pool,
    schema: config.eventStoreSchema,
    connectionString: config.databaseUrl,
  });
  // Not ready while an outdated read model is being rebuilt: a rolling upgrade then keeps the previous
  // release's replica, which keeps that read model live, until the new one is swapped in.
  let rebuilding = true;
  const ops = await startOpsServerFromEnv({
    metricsHandler: telemetry.metricsHandler,
    checks: {
      postgres: () => pool.query('SELECT 1'),
      'read-models': () => (rebuilding ? Promise.reject(new Error('rebuilding outdated read models')) : Promise.resolve()),
    },
  });
  await store.migrate();
  const projections = loadProjections();
  const host = new ProjectionHost({
    pool,
    store,
    projections,
    logger,
    ...(process.env.PROJECTIONS_BATCH_SIZE ? { batchSize: Number(process.env.PROJECTIONS_BATCH_SIZE) } : {}),
    // A projection whose version changed is rebuilt into a shadow schema and swapped in, progress logged.
    rebuildOutdated: process.env.PROJECTIONS_REBUILD_OUTDATED !== 'false',
  });
  await host.start();
  void host.outdatedRebuilt().then(() => {
    rebuilding = false;
  });

  // Gateway reads (Fetch / Fetch All) reach the activity log over NATS, not the event store.
  const nats = await connectNats({ servers: config.natsUrl, name: 'steward-projections' });
  await ensureStreams(nats.jsm, { prefix: config.natsPrefix, replicas: config.natsStreamReplicas });
  const reads = await runActivityReadConsumer({
    js: nats.js,
    jsm: nats.jsm,
    prefix: config.natsPrefix,
    replicas: config.natsStreamReplicas,
    recorder: new ActivityReadRecorder({ db: new Kysely({ dialect: new PostgresDialect({ pool }) }) }),
    logger,
  });
  return {
    ops,
    details: { projections: projections.map((projection) => projection.name), instance: host.instanceId },
    stop: [
      () => reads.stop(),
      () => host.stop(),
      () => nats.close(),
      () => store.close(),
      () => pool.end(),
    ],
  };
});
