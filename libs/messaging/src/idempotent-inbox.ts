import { sql, type Kysely, type Transaction } from 'kysely';
import { MessagingError, MessagingErrorCode } from './messaging.error';

/** The inbox table: which events each consumer has applied. */
export interface InboxTable {
  consumer: string;
  event_id: string;
  applied_at: Date;
}

export type ApplyOnceResult<T> = { readonly applied: true; readonly result: T } | { readonly applied: false };

export interface IdempotentInboxOptions<DB> {
  readonly db: Kysely<DB>;
  /** The schema that holds `inbox`. Default 'public'. */
  readonly schema?: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function checkIdentifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new MessagingError(MessagingErrorCode.InvalidArgument, `${what} must be a lower-case SQL identifier, got ${JSON.stringify(name)}`);
  }
  return name;
}

/**
 * Exactly-once effect on top of at-least-once delivery: the event id is
 * recorded in the same PostgreSQL transaction as the effect, so a redelivered
 * or re-published event is applied once, and an effect that fails records
 * nothing (the retry applies it).
 */
export class IdempotentInbox<DB = unknown> {
  readonly schema: string;
  private readonly db: Kysely<DB>;

  constructor(options: IdempotentInboxOptions<DB>) {
    this.db = options.db;
    this.schema = checkIdentifier(options.schema ?? 'public', 'inbox schema');
  }

  /** Creates the schema and the table if missing. Idempotent, safe from several processes at once. */
  async migrate(): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`steward.inbox.${this.schema}`}))`.execute(trx);
      await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(this.schema)}`.execute(trx);
      await sql`
        CREATE TABLE IF NOT EXISTS ${sql.id(this.schema, 'inbox')} (
          consumer   text        NOT NULL,
          event_id   uuid        NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (consumer, event_id)
        )`.execute(trx);
    });
  }

  /**
   * Runs `effect` in a transaction that also records (consumer, eventId), unless
   * that pair is already recorded: then nothing runs and `applied` is false.
   * Two deliveries racing: the second waits for the first and then skips.
   */
  async applyOnce<T>(consumer: string, eventId: string, effect: (trx: Transaction<DB>) => Promise<T>): Promise<ApplyOnceResult<T>> {
    return this.db.transaction().execute(async (trx) => {
      if (!(await this.recordIn(trx, consumer, eventId))) return { applied: false } as const;
      return { applied: true, result: await effect(trx) } as const;
    });
  }

  /**
   * For a caller that runs its own transaction: records the pair inside `trx`
   * and says whether it is new (true: apply the effect in the same `trx`).
   */
  async recordIn(trx: Transaction<DB>, consumer: string, eventId: string): Promise<boolean> {
    const inserted = await sql<{ event_id: string }>`
      INSERT INTO ${sql.id(this.schema, 'inbox')} (consumer, event_id)
      VALUES (${consumer}, ${eventId})
      ON CONFLICT (consumer, event_id) DO NOTHING
      RETURNING event_id`.execute(trx);
    return inserted.rows.length === 1;
  }

  /** Whether the consumer has applied the event (outside any transaction; for checks and tests). */
  async hasApplied(consumer: string, eventId: string): Promise<boolean> {
    const found = await sql<{ one: number }>`
      SELECT 1 AS one FROM ${sql.id(this.schema, 'inbox')} WHERE consumer = ${consumer} AND event_id = ${eventId}`.execute(this.db);
    return found.rows.length === 1;
  }
}
