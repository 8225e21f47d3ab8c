import { generateUserToken } from '@steward/auth';
import type pg from 'pg';

/** The gateway's own schema: what only the gateway reads and writes (user tokens). */
export const GATEWAY_SCHEMA = 'steward_gateway';
const TABLE = `${GATEWAY_SCHEMA}.user_tokens`;
/** Serialises concurrent migrations (CREATE SCHEMA IF NOT EXISTS races on the catalog). */
const MIGRATION_LOCK = 0x57_75_74_6b; // 'Wutk'

/**
 * Creates `steward_gateway.user_tokens` when missing. Idempotent and safe
 * against a concurrent run (an advisory lock for the transaction).
 */
export async function migrateUserTokens(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${GATEWAY_SCHEMA}`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${TABLE} (
        id           text PRIMARY KEY,
        user_id      text NOT NULL,
        email        text NOT NULL,
        hash         text NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        revoked_at   timestamptz,
        last_used_at timestamptz
      )`);
    await client.query(`CREATE INDEX IF NOT EXISTS user_tokens_user ON ${TABLE} (user_id)`);
    await client.query(`CREATE INDEX IF NOT EXISTS user_tokens_email ON ${TABLE} (lower(email))`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** A freshly issued token: `token` is the only copy of the secret (shown once, never stored). */
export interface IssuedUserToken {
  /** The token's public id (`stu_<id>_…`): the handle to revoke it by. */
  readonly tokenId: string;
  /** The whole `stu_…` token. */
  readonly token: string;
  readonly userId: string;
  readonly email: string;
  readonly createdAt: string;
}

/**
 * Issues a user token for a person (at bootstrap, on invitation acceptance,
 * from the CLI): stores only its SHA-256 hash and returns the token once.
 */
export async function issueUserToken(pool: pg.Pool, person: { readonly userId: string; readonly email: string }): Promise<IssuedUserToken> {
  const generated = generateUserToken();
  const email = person.email.toLowerCase();
  const { rows } = await pool.query<{ created_at: Date }>(
    `INSERT INTO ${TABLE} (id, user_id, email, hash) VALUES ($1, $2, $3, $4) RETURNING created_at`,
    [generated.id, person.userId, email, generated.hash],
  );
  return { tokenId: generated.id, token: generated.secret, userId: person.userId, email, createdAt: (rows[0] as { created_at: Date }).created_at.toISOString() };
}

/** A stored token, hash included: for the authenticator only, never returned to a client nor logged. */
export interface UserTokenRecord {
  readonly id: string;
  readonly userId: string;
  readonly email: string;
  readonly hash: string;
  readonly revoked: boolean;
}

/** Reads and maintains `steward_gateway.user_tokens`. */
export class UserTokenStore {
  constructor(private readonly pool: pg.Pool) {}

  async find(tokenId: string): Promise<UserTokenRecord | undefined> {
    const { rows } = await this.pool.query<{ id: string; user_id: string; email: string; hash: string; revoked_at: Date | null }>(
      `SELECT id, user_id, email, hash, revoked_at FROM ${TABLE} WHERE id = $1`,
      [tokenId],
    );
    const row = rows[0];
    return row ? { id: row.id, userId: row.user_id, email: row.email, hash: row.hash, revoked: row.revoked_at !== null } : undefined;
  }

  /** True when the token was active and is now revoked. */
  async revoke(tokenId: string, at: Date = new Date()): Promise<boolean> {
    const result = await this.pool.query(`UPDATE ${TABLE} SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, [tokenId, at]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Only moves forward. */
  async recordUse(tokenId: string, at: Date = new Date()): Promise<void> {
    await this.pool.query(`UPDATE ${TABLE} SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`, [tokenId, at]);
  }

  /** The user a token was issued to under this email (case-insensitive), if any. */
  async userIdForEmail(email: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ user_id: string }>(
      `SELECT user_id FROM ${TABLE} WHERE lower(email) = lower($1) ORDER BY created_at DESC LIMIT 1`,
      [email],
    );
    return rows[0]?.user_id;
  }

  /** How many tokens were ever issued (revoked ones included). */
  async count(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${TABLE}`);
    return Number(rows[0]?.n ?? 0);
  }
}
