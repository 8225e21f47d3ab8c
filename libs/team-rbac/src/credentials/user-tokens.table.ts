import type pg from 'pg';

/**
 * People's user tokens (`stu_…`): a team credential. The table keeps the schema it was created in
 * (`steward_gateway`) so the tokens already issued keep working; the team context owns it: team-rbac
 * issues and revokes, the gateway's authenticator looks up (UserTokenCredentials).
 */
export const USER_TOKENS_SCHEMA = 'steward_gateway';
export const USER_TOKENS_TABLE = `${USER_TOKENS_SCHEMA}.user_tokens`;
/** Serialises concurrent migrations (CREATE SCHEMA IF NOT EXISTS races on the catalog). */
const MIGRATION_LOCK = 0x57_75_74_6b; // 'Wutk'

/** One row: the secret is never stored, only its SHA-256 (`hash`). */
export interface UserTokenRow {
  readonly id: string;
  readonly user_id: string;
  readonly email: string;
  readonly hash: string;
  readonly created_at: Date;
  readonly revoked_at: Date | null;
  readonly last_used_at: Date | null;
}

/**
 * Creates the user-token table when missing. Idempotent and safe against a concurrent run (an advisory
 * lock for the transaction).
 */
export async function migrateUserTokens(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${USER_TOKENS_SCHEMA}`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${USER_TOKENS_TABLE} (
        id           text PRIMARY KEY,
        user_id      text NOT NULL,
        email        text NOT NULL,
        hash         text NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        revoked_at   timestamptz,
        last_used_at timestamptz
      )`);
    await client.query(`CREATE INDEX IF NOT EXISTS user_tokens_user ON ${USER_TOKENS_TABLE} (user_id)`);
    await client.query(`CREATE INDEX IF NOT EXISTS user_tokens_email ON ${USER_TOKENS_TABLE} (lower(email))`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
