/**
 * The proving chain's projector as its own process, so a test can SIGKILL it.
 * Environment: DATABASE_URL, EVENT_STORE_SCHEMA, PROVING_BATCH, PROVING_SLOW_MS.
 */
import pg from 'pg';
import { PostgresEventStore } from '@steward/event-store';
import { ProjectionHost } from '@steward/projections';
import { counterProjection } from './counter.projection';

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL!;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  pool.on('error', () => undefined);
  const store = new PostgresEventStore({ pool, schema: process.env.EVENT_STORE_SCHEMA ?? 'events', connectionString: databaseUrl });
  const host = new ProjectionHost({
    pool,
    store,
    projections: [counterProjection],
    batchSize: Number(process.env.PROVING_BATCH ?? 500),
    lockPollIntervalMs: 100,
    meter: false,
  });
  await host.start();
  process.stdout.write('projector started\n');
  const stop = () => {
    void host
      .stop()
      .then(() => store.close())
      .then(() => pool.end())
      .then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error('projector failed:', error);
  process.exit(1);
});
