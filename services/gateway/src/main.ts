/**
 * The gateway process: the public HTTP API. For now it serves the operational
 * routes (/healthz, /readyz, /metrics, /openapi.json, /docs); the domain
 * routes and the real authenticator join through createGatewayApp's deps.
 *
 * Environment: PORT (8080), GATEWAY_HOST (127.0.0.1), GATEWAY_REDIS_PREFIX (steward:),
 * GATEWAY_REQUEST_LOG_LEVEL (info | debug),
 * DATABASE_URL, NATS_URL, REDIS_URL, LOG_LEVEL, OTEL_EXPORTER_OTLP_ENDPOINT.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig } from '@steward/config';
import { connectNats } from '@steward/messaging';
import { createLogger, initTelemetry } from '@steward/observability';
import { createGatewayApp } from './gateway.app';
import type { Authenticator } from './route';

/** Accepts no credentials yet: every route that needs a principal answers 401. */
const noCredentials: Authenticator = { authenticate: () => undefined };

async function main(): Promise<void> {
  const config = loadConfig();
  const telemetry = initTelemetry({ serviceName: 'steward-gateway' });
  const logger = createLogger({ name: 'gateway' });
  const port = Number(process.env.PORT ?? 8080);
  const host = process.env.GATEWAY_HOST ?? '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not ${process.env.PORT}`);

  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 8 });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'));
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
  redis.on('error', (error) => logger.warn({ err: error }, 'Redis connection error'));
  const nats = await connectNats({ servers: config.natsUrl, name: 'steward-gateway' });

  const gateway = await createGatewayApp({
    routes: [],
    authenticator: noCredentials,
    redis,
    pool,
    nats: nats.nc,
    config: {
      redisPrefix: process.env.GATEWAY_REDIS_PREFIX ?? 'steward:',
      requestLogLevel: process.env.GATEWAY_REQUEST_LOG_LEVEL === 'debug' ? 'debug' : 'info',
    },
    logger,
    telemetry,
  });
  const url = await gateway.listen(port, host);
  logger.info({ url, docs: `${url}/docs` }, 'gateway listening');

  let stopping: Promise<void> | undefined;
  const shutdown = (signal: NodeJS.Signals): void => {
    stopping ??= (async () => {
      logger.info({ signal }, 'gateway stopping');
      await gateway.close();
      await nats.close();
      redis.disconnect();
      await pool.end();
      await telemetry.shutdown();
    })().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'gateway did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  console.error('gateway failed to start:', error);
  process.exit(1);
});
