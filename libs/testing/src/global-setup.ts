import pg from 'pg';
import { dockerAvailable, startContainers, type RunningContainers } from './containers';
import { services } from './services';
import { TEST_DATABASE_PREFIX } from './test-env';

declare global {
  var __stewardContainers: RunningContainers | undefined;
}

/**
 * Runs once before the test run: with `TESTCONTAINERS=1` and a Docker engine,
 * starts throwaway PostgreSQL / NATS / Redis containers and points the
 * workers at them (environment variables reach every worker and child
 * process); otherwise uses the local services. Then checks that PostgreSQL
 * answers, with a clear message when it does not, and drops test databases
 * left behind by runs that died more than six hours ago.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TESTCONTAINERS === '1') {
    if (await dockerAvailable()) {
      globalThis.__stewardContainers = await startContainers();
      Object.assign(process.env, globalThis.__stewardContainers.env);
      Object.assign(services, {
        databaseUrl: process.env.DATABASE_URL,
        natsUrl: process.env.NATS_URL,
        redisUrl: process.env.REDIS_URL,
      });
    } else {
      console.warn('TESTCONTAINERS=1 but no Docker engine answers: using the local services');
    }
  }
  const client = new pg.Client({ connectionString: services.databaseUrl });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${services.databaseUrl} (set DATABASE_URL): ${String(error)}`, {
      cause: error,
    });
  }
  try {
    const { rows } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1`,
      [`${TEST_DATABASE_PREFIX}%`],
    );
    const cutoff = Date.now() - 6 * 3600_000;
    for (const { datname } of rows) {
      const stamp = parseInt(datname.slice(TEST_DATABASE_PREFIX.length + 1, TEST_DATABASE_PREFIX.length + 9), 36);
      if (Number.isFinite(stamp) && stamp < cutoff) {
        await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    }
  } finally {
    await client.end();
  }
}
