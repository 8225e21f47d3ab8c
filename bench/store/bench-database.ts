import pg from 'pg';

/** The server the bench runs on: DATABASE_URL, or the local default. */
export const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The same server as `url`, another database. */
export function databaseUrl(database: string, url = serverUrl): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(database: string): Promise<string> {
  await admin((client) => client.query(`CREATE DATABASE "${database}" TEMPLATE template0`));
  return databaseUrl(database);
}

export async function dropDatabase(database: string): Promise<void> {
  await admin((client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
}

/** Server version and the settings that matter most for write throughput, for the report header. */
export async function serverSummary(): Promise<string> {
  return admin(async (client) => {
    const { rows } = await client.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings
        WHERE name IN ('server_version', 'synchronous_commit', 'fsync', 'shared_buffers', 'wal_level')
        ORDER BY name`,
    );
    return rows.map((row) => `${row.name}=${row.setting}`).join(' ');
  });
}
