/**
 * The runtime-registry service as a process:
 * `node -r @swc-node/register services/runtime-registry/src/main.ts`.
 *
 * Answers the runtime context's commands over NATS request/reply on
 * `<prefix>cmd.runtime.<CommandType>` in the queue group `runtime-registry`
 * (any number of replicas: a workspace's catalogue serialises on its stream's
 * expected revision) and runs the connection-test worker (BullMQ queue
 * `runtime-connection-tests`). Environment: DATABASE_URL, EVENT_STORE_SCHEMA,
 * NATS_URL, NATS_PREFIX, REDIS_URL, RUNTIME_REGISTRY_REDIS_PREFIX (else
 * GATEWAY_REDIS_PREFIX, else `steward:`), STEWARD_MASTER_KEY (see
 * libs/secrets), RUNTIME_TEST_TIMEOUT_MS (10000), RUNTIME_TEST_ATTEMPTS (2),
 * RUNTIME_TEST_RETRY_DELAY_MS (1000), LOG_LEVEL, OTEL_EXPORTER_OTLP_ENDPOINT.
 * Logs `runtime-registry started`; on SIGTERM / SIGINT stops taking
 * commands and tests, lets the running ones finish, then closes.
 */
import pg from 'pg';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@steward/config';
import { PostgresEventStore } from '@steward/event-store';
import { commandTransportOptions, natsNames } from '@steward/messaging';
import { runService, startOpsServerFromEnv } from '@steward/observability';
import { SecretStore, loadKeyring } from '@steward/secrets';
import { TeamAccess } from '@steward/team-rbac';
import { ConnectionTests } from './connection-tests/connection-test.worker';
import { RuntimeRegistryModule } from './runtime-registry.module';
import { teamRuntimeAuthorizer } from './runtimes/runtime-access';
import { RuntimeCommandRunner } from './runtimes/runtime-command.runner';

export const RUNTIME_REGISTRY_QUEUE = 'runtime-registry';

function positive(name: string, fallback: number): number {
  const text = process.env[name];
  const value = text === undefined || text === '' ? fallback : Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number`);
  return value;
}

runService('runtime-registry', async ({ logger, telemetry }) => {
  const config = loadConfig();
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 8 });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'));
  const store = new PostgresEventStore({ pool, schema: config.eventStoreSchema });
  const ops = await startOpsServerFromEnv({ metricsHandler: telemetry.metricsHandler, checks: { postgres: () => pool.query('SELECT 1') } });
  await store.migrate();
  const secrets = new SecretStore({ pool, keyring: loadKeyring({ logger }) });
  await secrets.migrate();

  const redisPrefix = process.env.RUNTIME_REGISTRY_REDIS_PREFIX || process.env.GATEWAY_REDIS_PREFIX || 'steward:';
  const runner: RuntimeCommandRunner = new RuntimeCommandRunner({
    store,
    secrets,
    authorize: teamRuntimeAuthorizer(new TeamAccess({ store })),
    // `tests` is built next; the runner calls this only once commands flow
    enqueueTest: (job): Promise<void> => tests.enqueue(job),
  });
  const tests: ConnectionTests = new ConnectionTests({
    connection: { url: config.redisUrl, maxRetriesPerRequest: null },
    prefix: `${redisPrefix}bull`,
    runner,
    secrets,
    logger,
    probe: {
      timeoutMs: positive('RUNTIME_TEST_TIMEOUT_MS', 10_000),
      attempts: positive('RUNTIME_TEST_ATTEMPTS', 2),
      retryDelayMs: positive('RUNTIME_TEST_RETRY_DELAY_MS', 1_000),
    },
  });
  tests.start();

  const names = natsNames(config.natsPrefix);
  const app = await NestFactory.createMicroservice(RuntimeRegistryModule.register({ names, runner }), {
    ...commandTransportOptions({ servers: config.natsUrl, queue: RUNTIME_REGISTRY_QUEUE, name: `steward-runtime-registry-${process.pid}` }),
    logger: ['error', 'warn'],
  });
  await app.listen();
  return {
    ops,
    details: { subjects: names.subject('cmd', 'runtime', '>'), queue: RUNTIME_REGISTRY_QUEUE },
    stop: [
      () => app.close(),
      () => tests.close(),
      () => store.close(),
      () => pool.end(),
    ],
  };
});
