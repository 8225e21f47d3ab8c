/**
 * The billing service as a process:
 * `node -r @swc-node/register services/billing/src/main.ts`.
 *
 * Answers the billing context's commands over NATS request/reply on
 * `<prefix>cmd.billing.<CommandType>` in the queue group `billing`.
 * Environment: DATABASE_URL, EVENT_STORE_SCHEMA, NATS_URL, NATS_PREFIX,
 * STEWARD_BILLING_PLANS (the plan catalogue, see @steward/billing), LOG_LEVEL,
 * OTEL_EXPORTER_OTLP_ENDPOINT. Logs `billing started`; on SIGTERM / SIGINT
 * stops taking commands, then closes.
 */
import pg from 'pg';
import { NestFactory } from '@nestjs/core';
import { planCatalogueFromEnv } from '@steward/billing';
import { loadConfig } from '@steward/config';
import { PostgresEventStore } from '@steward/event-store';
import { commandTransportOptions, natsNames } from '@steward/messaging';
import { createLogger, initTelemetry } from '@steward/observability';
import { BillingModule } from './billing.module';

export const BILLING_QUEUE = 'billing';

async function main(): Promise<void> {
  const config = loadConfig();
  const telemetry = initTelemetry({ serviceName: 'steward-billing' });
  const logger = createLogger({ name: 'billing' });
  const catalogue = planCatalogueFromEnv();
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 8 });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'));
  const store = new PostgresEventStore({ pool, schema: config.eventStoreSchema });
  await store.migrate();

  const names = natsNames(config.natsPrefix);
  const app = await NestFactory.createMicroservice(BillingModule.register({ controllers: [] }), {
    ...commandTransportOptions({ servers: config.natsUrl, queue: BILLING_QUEUE, name: `steward-billing-${process.pid}` }),
    logger: ['error', 'warn'],
  });
  await app.listen();
  logger.info({ subjects: names.subject('cmd', 'billing', '>'), queue: BILLING_QUEUE, plans: catalogue.plans.map((plan) => plan.id) }, 'billing started');

  let stopping: Promise<void> | undefined;
  const shutdown = (signal: NodeJS.Signals): void => {
    stopping ??= (async () => {
      logger.info({ signal }, 'billing stopping');
      await app.close();
      await store.close();
      await pool.end();
      logger.info('billing stopped');
      await telemetry.shutdown();
    })().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'billing did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  console.error('billing failed to start:', error);
  process.exit(1);
});
