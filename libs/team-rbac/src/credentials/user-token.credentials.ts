import type pg from 'pg';
import { USER_TOKENS_TABLE, type UserTokenRow } from './user-tokens.table';

/** A stored token, hash included: for the authenticator only, never returned to a client nor logged. */
export interface UserTokenRecord {
  readonly id: string;
  readonly userId: string;
  readonly email: string;
  readonly hash: string;
  readonly revoked: boolean;
}

/**
 * What authenticating a person by user token needs: the record by token id, the person an email was
 * issued a token under (OIDC sign-in of a token holder), and the last-use bookkeeping. Tokens are issued
 * and revoked by team-rbac only.
 */
export class UserTokenCredentials {
  constructor(private readonly pool: pg.Pool) {}

  async find(tokenId: string): Promise<UserTokenRecord | undefined> {
    const { rows } = await this.pool.query<Pick<UserTokenRow, 'id' | 'user_id' | 'email' | 'hash' | 'revoked_at'>>(
      `SELECT id, user_id, email, hash, revoked_at FROM ${USER_TOKENS_TABLE} WHERE id = $1`,
      [tokenId],
    );
    const row = rows[0];
    return row ? { id: row.id, userId: row.user_id, email: row.email, hash: row.hash, revoked: row.revoked_at !== null } : undefined;
  }

  /** Only moves forward. */
  async recordUse(tokenId: string, at: Date = new Date()): Promise<void> {
    await this.pool.query(`UPDATE ${USER_TOKENS_TABLE} SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`, [tokenId, at]);
  }

  /** The user a token was issued to under this email (case-insensitive), if any. */
  async userIdForEmail(email: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<Pick<UserTokenRow, 'user_id'>>(
      `SELECT user_id FROM ${USER_TOKENS_TABLE} WHERE lower(email) = lower($1) ORDER BY created_at DESC LIMIT 1`,
      [email],
    );
    return rows[0]?.user_id;
  }
}
