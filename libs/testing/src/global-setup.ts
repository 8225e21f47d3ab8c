import pg from 'pg';
import { services } from './services';
import { TEST_DATABASE_PREFIX } from './test-env';

/**
 * Runs once before the integration and end-to-end tiers: checks that the
 * local services answer (with a clear message when one does not) and drops
 * test databases left behind by runs that died more than six hours ago.
 */
export default async function globalSetup(): Promise<void> {
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
