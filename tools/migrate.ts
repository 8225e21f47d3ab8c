/**
 * Everything `npm start` prepares before the processes start: the database
 * itself, the event store's tables, the relay's and the projections'
 * checkpoint tables, the team's user tokens, and the JetStream streams
 * (events, commands, activity). Each step is idempotent and
 * safe against a concurrent run.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { loadConfig, type StewardConfig } from '@steward/config';
import { PostgresEventStore } from '@steward/event-store';
import { RelayCheckpointRepository, connectNats, ensureStreams } from '@steward/messaging';
import { CheckpointRepository } from '@steward/projections';
import { ensureActivityStream, migrateUserTokens } from '@steward/team-rbac';
import { migrateSecretStore } from '@steward/secrets';

/** Creates the configured database when the server does not have it yet. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.slice(1));
  if (!database) return;
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) {
      await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created meanwhile by another process
      });
    }
  } finally {
    await admin.end();
  }
}

export async function migrateAll(config: StewardConfig = loadConfig()): Promise<void> {
  await ensureDatabase(config.databaseUrl);
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 2 });
  const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  try {
    await new PostgresEventStore({ pool, schema: config.eventStoreSchema }).migrate();
    await new RelayCheckpointRepository({ pool }).migrate();
    await new CheckpointRepository(db).migrate();
    await migrateUserTokens(pool);
    await migrateSecretStore(pool);
  } finally {
    await db.destroy();
  }
  const nats = await connectNats({ servers: config.natsUrl, name: 'steward-migrate' });
  try {
    await ensureStreams(nats.jsm, { prefix: config.natsPrefix, replicas: config.natsStreamReplicas });
    await ensureActivityStream(nats.jsm, config.natsPrefix);
  } finally {
    await nats.close();
  }
}

/** `node -r @swc-node/register tools/migrate.ts`: migrates what the environment points at (the test stack runs it so). */
if (require.main === module) {
  migrateAll().then(
    () => process.stdout.write('migrated\n'),
    (error: unknown) => {
      console.error('migration failed:', error);
      process.exit(1);
    },
  );
}
