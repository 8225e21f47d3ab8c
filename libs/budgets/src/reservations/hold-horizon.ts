import { sql, type Kysely } from 'kysely';

export const HOLD_HORIZON_SCHEMA = 'budget_admission';

/**
 * How late any hold ever issued into a counter store (one row per store: its key prefix) may still be
 * live, kept in PostgreSQL: the
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
    await sql`CREATE TABLE IF NOT EXISTS ${sql.id(HOLD_HORIZON_SCHEMA)}.hold_horizon (store text PRIMARY KEY, holds_until timestamptz NOT NULL)`.execute(db).catch(ignoreRace);
  }

  /** Raises the horizon past `expiresAt` (ms), by the slack, before a hold expiring then is issued; answers the horizon. */
  async raise(store: string, expiresAt: number): Promise<number> {
    const result = await sql<{ until: Date }>`INSERT INTO ${sql.id(HOLD_HORIZON_SCHEMA)}.hold_horizon AS h (store, holds_until) VALUES (${store}, ${new Date(expiresAt + this.slackMs)})
      ON CONFLICT (store) DO UPDATE SET holds_until = greatest(h.holds_until, excluded.holds_until) RETURNING holds_until AS until`.execute(this.db);
    return new Date(result.rows[0]!.until).getTime();
  }

  /** The latest instant a hold issued so far into this store (its key prefix) may be live (ms); 0: none ever. */
  async until(store: string): Promise<number> {
    const result = await sql<{ until: Date }>`SELECT holds_until AS until FROM ${sql.id(HOLD_HORIZON_SCHEMA)}.hold_horizon WHERE store = ${store}`.execute(this.db);
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
