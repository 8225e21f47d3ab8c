/**
 * usage-metering as a process: `node -r @swc-node/register services/usage-metering/src/main.ts`.
 *
 * Consumes the usage ingest stream (`<PREFIX>_USAGE_INGEST`, subjects `<p>usage.ingest.<workspaceId>`)
 * with the durable pull consumer `usage-metering` (run any number of replicas: they share the backlog),
 * prices every event, and appends UsageRecorded with the event store's deduplicating `appendNew` before it
 * acks. Environment: DATABASE_URL, EVENT_STORE_SCHEMA, NATS_URL, NATS_PREFIX, NATS_STREAM_REPLICAS,
 * METERING_CONCURRENCY (pull loops, default 2), METERING_MAX_BATCH (messages per group, default 32),
 * METERING_MAX_WAIT_MS (how long a group waits for more messages after its first, default 5),
 * METERING_APPEND_CHUNK (events per transaction, default 10,000), METERING_ACK_WAIT_MS (when a message a dead
 * replica held is delivered again, default 10 s), LOG_LEVEL, OTEL_EXPORTER_OTLP_ENDPOINT.
 * Migrates the event store (idempotent), logs `usage-metering started`; on SIGTERM / SIGINT finishes the
 * groups in hand (appended and acked), then closes.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { loadConfig } from '@steward/config';
import { PostgresEventStore } from '@steward/event-store';
import { connectNats, registerDeadLetterMetrics, usageIngestStreamOptionsFromEnv } from '@steward/messaging';
import { runService, startOpsServerFromEnv } from '@steward/observability';
import { UsageMeteringWorker } from './metering/usage-metering.worker';
import { ModelSettingsPriceLookup } from './models/model-settings.price-lookup';
import { startModelSettings } from './models/model-settings.runtime';
import { Pricer } from '@steward/usage-metering';
import { WorkspaceOrganizations } from '@steward/team-rbac';

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

runService('usage-metering', async ({ logger, telemetry }) => {
  const config = loadConfig();
  const concurrency = positiveInt('METERING_CONCURRENCY', 2);
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: concurrency + 4 });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'));
  const store = new PostgresEventStore({ pool, schema: config.eventStoreSchema, connectionString: config.databaseUrl });
  await store.migrate();
  const nats = await connectNats({ servers: config.natsUrl, name: `steward-usage-metering-${process.pid}` });
  const ops = await startOpsServerFromEnv({ metricsHandler: telemetry.metricsHandler, checks: { postgres: () => pool.query('SELECT 1'), nats: () => nats.nc.flush() } });

  // Workspace prices from the ModelSettings streams, then the built-in catalogue, else unpriced.
  const pricer = new Pricer(new ModelSettingsPriceLookup({ store }));
  const worker = new UsageMeteringWorker({
    nats,
    prefix: config.natsPrefix,
    replicas: config.natsStreamReplicas,
    ingestStream: usageIngestStreamOptionsFromEnv(process.env, config.natsPrefix),
    store,
    pricer,
    // the organization of each workspace, from the team read model (the pool stays this process's to end)
    organizations: new WorkspaceOrganizations({ db: new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) }) }),
    logger,
    concurrency,
    maxBatch: positiveInt('METERING_MAX_BATCH', 32),
    maxWaitMs: positiveInt('METERING_MAX_WAIT_MS', 5),
    appendChunk: positiveInt('METERING_APPEND_CHUNK', 10_000),
    // what a replica that died (SIGKILL, a lost pod) held comes back to the others after this, not the 30 s
    // default; a live handler keeps its messages with heartbeats, and a redelivery is deduplicated anyway
    ackWaitMs: positiveInt('METERING_ACK_WAIT_MS', 10_000),
  });
  await worker.start();
  // The dead letters held per consumer, for alerts (the worker ensured the stream).
  const stopDeadLetterMetrics = registerDeadLetterMetrics(nats.jsm, config.natsPrefix);
  // Model settings: cmd.usage.<Type> handlers, API keys in @steward/secrets, the re-rating reactor.
  const models = await startModelSettings({ pool, store, natsUrl: config.natsUrl, natsPrefix: config.natsPrefix, logger });
  return {
    ops,
    details: { durable: 'usage-metering', concurrency },
    stop: [
      () => stopDeadLetterMetrics(),
      () => worker.stop(),
      () => models.stop(),
      () => nats.close(),
      () => store.close(),
      () => pool.end(),
    ],
  };
});
