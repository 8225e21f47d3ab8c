import { generateUserToken, userTokenIdFor } from '@steward/auth';
import { USER_TOKENS_TABLE } from '@steward/team-rbac';
import type pg from 'pg';

/** A freshly issued token: `token` is the only copy of the secret (shown once, never stored nor logged). */
export interface IssuedUserToken {
  /** The token's public id (`stu_<id>_…`): the handle to revoke it by. */
  readonly tokenId: string;
  /** The whole `stu_…` token. */
  readonly token: string;
  readonly userId: string;
  readonly email: string;
  readonly createdAt: string;
}

export interface UserTokenPerson {
  readonly userId: string;
  readonly email: string;
}

/**
 * How long the token a command issued may be issued again by a retry of that command whose first answer was
 * lost (as long as the gateway keeps an Idempotency-Key's answer), provided nobody has used it yet.
 */
export const USER_TOKEN_REISSUE_MS = 24 * 60 * 60 * 1000;

/**
 * Issues and revokes user tokens (the write side of the team's user-token table, see @steward/team-rbac's
 * `migrateUserTokens`): only the SHA-256 of a token is stored; the secret is generated here and returned once.
 */
export class UserTokenStore {
  constructor(private readonly pool: pg.Pool) {}

  /** A new token for a person (at bootstrap, from the CLI). */
  async issue(person: UserTokenPerson): Promise<IssuedUserToken> {
    const generated = generateUserToken();
    const email = person.email.toLowerCase();
    const { rows } = await this.pool.query<{ created_at: Date }>(
      `INSERT INTO ${USER_TOKENS_TABLE} (id, user_id, email, hash) VALUES ($1, $2, $3, $4) RETURNING created_at`,
      [generated.id, person.userId, email, generated.hash],
    );
    return { tokenId: generated.id, token: generated.secret, userId: person.userId, email, createdAt: (rows[0] as { created_at: Date }).created_at.toISOString() };
  }

  /**
   * The token command `commandId` issues, under an id derived from the command id, with a fresh secret.
   * Run again for the same command (a retry whose first answer was lost), it gives the same token id a new
   * secret, so the secret answered before stops working and one token stays valid; but only while that
   * token has never been used, is not revoked and is younger than USER_TOKEN_REISSUE_MS. Otherwise it
   * answers undefined: the token is in someone's hands, and a retry does not take it from them.
   */
  async issueOnce(commandId: string, person: UserTokenPerson): Promise<IssuedUserToken | undefined> {
    const generated = generateUserToken(userTokenIdFor(commandId));
    const email = person.email.toLowerCase();
    const { rows } = await this.pool.query<{ created_at: Date }>(
      `INSERT INTO ${USER_TOKENS_TABLE} AS t (id, user_id, email, hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET hash = EXCLUDED.hash
         WHERE t.user_id = EXCLUDED.user_id AND t.revoked_at IS NULL AND t.last_used_at IS NULL
           AND t.created_at > now() - make_interval(secs => $5::double precision / 1000)
       RETURNING created_at`,
      [generated.id, person.userId, email, generated.hash, USER_TOKEN_REISSUE_MS],
    );
    const row = rows[0];
    return row ? { tokenId: generated.id, token: generated.secret, userId: person.userId, email, createdAt: row.created_at.toISOString() } : undefined;
  }

  /** True when the token was active and is now revoked. */
  async revoke(tokenId: string, at: Date = new Date()): Promise<boolean> {
    const result = await this.pool.query(`UPDATE ${USER_TOKENS_TABLE} SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, [tokenId, at]);
    return (result.rowCount ?? 0) > 0;
  }

  /** How many tokens were ever issued (revoked ones included). */
  async count(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${USER_TOKENS_TABLE}`);
    return Number(rows[0]?.n ?? 0);
  }
}
