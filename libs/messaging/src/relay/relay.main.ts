/**
 * The relay as a process: `node -r @swc-node/register libs/messaging/src/relay/relay.main.ts`.
 *
 * Environment: DATABASE_URL (the event store's database), NATS_URL,
 * EVENT_STORE_SCHEMA (default steward_events), NATS_PREFIX ('' in production),
 * RELAY_NAME (default 'default'), RELAY_CHECKPOINT_SCHEMA (default steward_relay),
 * RELAY_POLL_INTERVAL_MS, RELAY_SKIP_EVENT_TYPES (comma-separated event types
 * not published; default `UsageRecorded`: no NATS consumer reads it, its
 * readers tail the store, and relaying it one message per call cost more CPU
 * than metering it; set it empty to relay every event), LOG_LEVEL,
 * OTEL_EXPORTER_OTLP_ENDPOINT.
 * Migrates the store and its checkpoint table (idempotent), logs `relay started`
 * once it relays; stops cleanly on SIGTERM / SIGINT
 * (finishes the batch in hand and stores its checkpoint).
 */
import pg from 'pg';
import { loadConfig } from '@steward/config';
import { PostgresEventStore, formatPosition } from '@steward/event-store';
import { createLogger, initTelemetry, startOpsServerFromEnv } from '@steward/observability';
import { connectNats } from '../nats-connection';
import { ensureStreams } from '../stream-setup';
import { EventRelay } from './event-relay';

/** Usage calls: one event per metered call (tens of thousands a second), read from the store by their projections. */
const DEFAULT_SKIPPED_EVENT_TYPES = 'UsageRecorded';

async function main(): Promise<void> {
  const config = loadConfig();
  const { databaseUrl, natsUrl, natsPrefix: prefix } = config;
  const name = process.env.RELAY_NAME ?? 'default';
  const skipEventTypes = (process.env.RELAY_SKIP_EVENT_TYPES ?? DEFAULT_SKIPPED_EVENT_TYPES)
    .split(',')
    .map((type) => type.trim())
    .filter(Boolean);
  const telemetry = initTelemetry({ serviceName: 'steward-relay' });
  const logger = createLogger({ name: 'relay' });

  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  // An idle connection dropped by the server must not crash the process: the relay retries.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'));
  const store = new PostgresEventStore({
    pool,
    schema: config.eventStoreSchema,
    connectionString: databaseUrl,
  });
  const nats = await connectNats({ servers: natsUrl, name: `steward-relay-${name}` });
  const ops = await startOpsServerFromEnv({ metricsHandler: telemetry.metricsHandler, checks: { postgres: () => pool.query('SELECT 1'), nats: () => nats.nc.flush() } });
  await ensureStreams(nats.jsm, { prefix, replicas: config.natsStreamReplicas });
  const relay = new EventRelay({
    store,
    js: nats.js,
    pool,
    name,
    subjectPrefix: prefix,
    skipEventTypes,
    ...(process.env.RELAY_CHECKPOINT_SCHEMA ? { checkpointSchema: process.env.RELAY_CHECKPOINT_SCHEMA } : {}),
    ...(process.env.RELAY_POLL_INTERVAL_MS ? { pollIntervalMs: Number(process.env.RELAY_POLL_INTERVAL_MS) } : {}),
    logger,
  });
  // Both idempotent and safe alongside other processes migrating at once.
  await store.migrate();
  await relay.migrate();
  await relay.start();
  logger.info({ relay: name, checkpoint: formatPosition(relay.checkpoint), prefix, skipEventTypes, ops: ops.url }, 'relay started');
  ops.ready();

  let stopping: Promise<void> | undefined;
  const shutdown = (signal: NodeJS.Signals): void => {
    stopping ??= (async () => {
      logger.info({ signal }, 'relay stopping');
      ops.stopping();
      await relay.stop();
      await store.close();
      await nats.close();
      await pool.end();
      await ops.close();
      logger.info({ relayed: relay.relayedCount, checkpoint: formatPosition(relay.checkpoint) }, 'relay stopped');
      await telemetry.shutdown();
    })().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'relay did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  console.error('relay failed to start:', error);
  process.exit(1);
});
