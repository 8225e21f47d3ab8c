import { sql, type Kysely } from 'kysely';

export const HOLD_HORIZON_SCHEMA = 'budget_admission';

/**
 * How late any hold ever issued may still be live, kept in PostgreSQL: the
 * counter store is fast but may lose its data (a Redis restart without
 * persistence), and with it the holds. Before a hold expiring at E is issued,
 * the horizon is raised past E (by `slackMs` beyond, and mirrored in the store,
 * so at steady state it is written about once per slack). After a loss, admission
 * stays closed (503, Retry-After) until the horizon: by then every lost hold
 * has expired, and spend alone — rebuilt from the read model — is the truth.
 */
export class HoldHorizon {
  constructor(
    private readonly db: Kysely<unknown>,
    private readonly slackMs: number = 30_000,
  ) {}

  static async migrate(db: Kysely<unknown>): Promise<void> {
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(HOLD_HORIZON_SCHEMA)}`.execute(db).catch(ignoreRace);
    await sql`CREATE TABLE IF NOT EXISTS ${sql.id(HOLD_HORIZON_SCHEMA)}.hold_horizon (id int PRIMARY KEY, holds_until timestamptz NOT NULL)`.execute(db).catch(ignoreRace);
    await sql`INSERT INTO ${sql.id(HOLD_HORIZON_SCHEMA)}.hold_horizon (id, holds_until) VALUES (1, 'epoch') ON CONFLICT (id) DO NOTHING`.execute(db);
  }

  /** Raises the horizon past `expiresAt` (ms), by the slack, before a hold expiring then is issued; answers the horizon. */
  async raise(expiresAt: number): Promise<number> {
    const result = await sql<{ until: Date }>`UPDATE ${sql.id(HOLD_HORIZON_SCHEMA)}.hold_horizon SET holds_until = greatest(holds_until, ${new Date(expiresAt + this.slackMs)}) WHERE id = 1 RETURNING holds_until AS until`.execute(this.db);
    const until = result.rows[0]?.until;
    if (!until) throw new Error('the hold horizon is missing: run HoldHorizon.migrate');
    return new Date(until).getTime();
  }

  /** The latest instant a hold issued so far may be live (ms). */
  async until(): Promise<number> {
    const result = await sql<{ until: Date }>`SELECT holds_until AS until FROM ${sql.id(HOLD_HORIZON_SCHEMA)}.hold_horizon WHERE id = 1`.execute(this.db);
    const until = result.rows[0]?.until;
    return until ? new Date(until).getTime() : 0;
  }
}

/** Two processes creating the schema at once: one wins, the other's duplicate is fine. */
function ignoreRace(error: unknown): void {
  const code = (error as { code?: string }).code;
  if (code === '23505' || code === '42P06' || code === '42P07') return;
  throw error;
}
