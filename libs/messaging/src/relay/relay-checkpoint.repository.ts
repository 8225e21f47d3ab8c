import type pg from 'pg';
import { START, type GlobalPosition } from '@steward/event-store';
import { checkIdentifier } from '../idempotent-inbox';

export interface RelayCheckpointRepositoryOptions {
  readonly pool: pg.Pool;
  /** Default 'steward_relay'. */
  readonly schema?: string;
}

/** Where each relay (by name) has published up to, in the global order of the store. */
export class RelayCheckpointRepository {
  readonly schema: string;
  private readonly pool: pg.Pool;

  constructor(options: RelayCheckpointRepositoryOptions) {
    this.pool = options.pool;
    this.schema = checkIdentifier(options.schema ?? 'steward_relay', 'checkpoint schema');
  }

  private get table(): string {
    return `"${this.schema}".relay_checkpoints`;
  }

  /** Creates the schema and table if missing. Idempotent, safe from several processes at once. */
  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`steward.relay.${this.schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await client.query(`
        CREATE TABLE IF NOT EXISTS ${this.table} (
          name             text          PRIMARY KEY,
          commit_position  numeric(20,0) NOT NULL,
          prepare_position numeric(20,0) NOT NULL,
          updated_at       timestamptz   NOT NULL DEFAULT now()
        )`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** The stored checkpoint; START when this relay never stored one. */
  async load(name: string): Promise<GlobalPosition> {
    const { rows } = await this.pool.query<{ commit_position: string; prepare_position: string }>(
      `SELECT commit_position::text AS commit_position, prepare_position::text AS prepare_position
         FROM ${this.table} WHERE name = $1`,
      [name],
    );
    const row = rows[0];
    if (!row) return START;
    return { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) };
  }

  /** Stores the checkpoint; it only ever moves forward. */
  async save(name: string, position: GlobalPosition): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.table} AS c (name, commit_position, prepare_position)
       VALUES ($1, $2::numeric, $3::numeric)
       ON CONFLICT (name) DO UPDATE
          SET commit_position = EXCLUDED.commit_position,
              prepare_position = EXCLUDED.prepare_position,
              updated_at = now()
        WHERE (c.commit_position, c.prepare_position) < (EXCLUDED.commit_position, EXCLUDED.prepare_position)`,
      [name, position.commit.toString(), position.prepare.toString()],
    );
  }
}
