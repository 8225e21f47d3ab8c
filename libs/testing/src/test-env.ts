import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { services, withDatabase } from './services';

export const TEST_DATABASE_PREFIX = 'steward_t_';

/**
 * What one test file gets for itself, so test files run in parallel without
 * seeing each other: its own PostgreSQL database, NATS subject and stream
 * prefix, and Redis key prefix.
 */
export interface TestEnv {
  /** Unique per test file: `t<time><random>`. */
  readonly id: string;
  readonly databaseUrl: string;
  readonly database: string;
  /** A pool on the test database; closed by dispose(). */
  readonly pool: pg.Pool;
  readonly natsUrl: string;
  /** Put in front of every subject (`<prefix>.events.>`) and stream name (`<PREFIX>_EVENTS`). */
  readonly natsPrefix: string;
  readonly redisUrl: string;
  /** Put in front of every Redis key and BullMQ prefix. */
  readonly redisPrefix: string;
  dispose(): Promise<void>;
}

export async function createTestEnv(): Promise<TestEnv> {
  const id = `t${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
  const database = `${TEST_DATABASE_PREFIX}${id}`;
  const admin = new pg.Client({ connectionString: services.databaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${database}" TEMPLATE template0`);
  } finally {
    await admin.end();
  }
  const databaseUrl = withDatabase(services.databaseUrl, database);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  // An idle client ended by the server (a restart, an admin) must not crash the
  // test file: the pool drops it and the next query opens a new one.
  pool.on('error', (error) => console.warn(`[test-env ${id}] idle PostgreSQL client error: ${error.message}`));
  let disposed = false;
  return {
    id,
    database,
    databaseUrl,
    pool,
    natsUrl: services.natsUrl,
    natsPrefix: id,
    redisUrl: services.redisUrl,
    redisPrefix: `${id}:`,
    async dispose() {
      if (disposed) return;
      disposed = true;
      await pool.end();
      await dropDatabase(database);
      await removeNatsStreams(id);
    },
  };
}

export async function dropDatabase(database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: services.databaseUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Deletes the JetStream streams a test file created (their names start with the prefix, upper-cased). */
export async function removeNatsStreams(prefix: string): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: services.natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const wanted = prefix.toUpperCase();
    for await (const info of jsm.streams.list()) {
      if (info.config.name.toUpperCase().startsWith(wanted)) await jsm.streams.delete(info.config.name);
    }
  } finally {
    await nc.close();
  }
}
