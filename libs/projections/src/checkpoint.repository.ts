import { sql, type Kysely, type Transaction } from 'kysely';
import type { EventFilter, GlobalPosition } from '@steward/event-store';
import type { CheckpointRow, ProjectionsDB } from './checkpoints.table';
import * as createCheckpoints from './migrations/20261121230000-create-checkpoints.migration';
import * as checkpointFilters from './migrations/20261207010000-checkpoint-filters.migration';
import * as createQuarantine from './migrations/20261207020000-create-quarantine.migration';
import { ProjectionError, ProjectionErrorCode } from './projection.error';

export const PROJECTIONS_SCHEMA = 'steward_projections';

/** In order; names are timestamps so the order is the history. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const MIGRATIONS: ReadonlyArray<readonly [string, { up(db: Kysely<any>): Promise<void> }]> = [
  ['20261121230000-create-checkpoints', createCheckpoints],
  ['20261207010000-checkpoint-filters', checkpointFilters],
  ['20261207020000-create-quarantine', createQuarantine],
];

export interface ProjectionCheckpoint {
  readonly name: string;
  /** The projection version the live read model was built by. */
  readonly version: number;
  /** The last fully applied batch's checkpoint: resume strictly after it. */
  readonly position: GlobalPosition;
  readonly eventsApplied: bigint;
  /** Fencing token: every new leader and every rebuild swap increments it. */
  readonly epoch: bigint;
  readonly owner: string | null;
  readonly lastEventAt: Date | null;
  readonly updatedAt: Date;
  readonly handoverTo: string | null;
  readonly handoverUntil: Date | null;
  readonly rebuilds: number;
  readonly rebuiltAt: Date | null;
}

export interface AdvanceCheckpoint {
  readonly name: string;
  /** The epoch this writer was granted when it became leader. */
  readonly epoch: bigint;
  /** The checkpoint the batch was read from: the compare half of compare-and-set. */
  readonly from: GlobalPosition;
  readonly to: GlobalPosition;
  readonly eventsApplied: number;
  readonly lastEventAt: Date | null;
}

export interface ReplaceCheckpoint {
  readonly name: string;
  readonly version: number;
  readonly position: GlobalPosition;
  readonly eventsApplied: bigint;
  readonly lastEventAt: Date | null;
}

type Db = Kysely<ProjectionsDB> | Transaction<ProjectionsDB>;

/**
 * `steward_projections.checkpoints`: where each projection stands. Writes
 * that move a checkpoint are compare-and-set on (epoch, position), so a writer
 * that lost its leadership, or a runner that a rebuild swapped out, can never
 * move it (fencing).
 */
export class CheckpointRepository {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  constructor(private readonly db: Kysely<any>) {}

  private get table(): Kysely<ProjectionsDB> {
    return (this.db as Kysely<ProjectionsDB>).withSchema(PROJECTIONS_SCHEMA);
  }

  private static on(trx: Db): Kysely<ProjectionsDB> {
    return trx.withSchema(PROJECTIONS_SCHEMA);
  }

  /** Creates the schema and tables; safe to run from many processes at once. */
  async migrate(): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended('steward_projections.migrate', 0))`.execute(trx);
      await sql`CREATE SCHEMA IF NOT EXISTS steward_projections`.execute(trx);
      await sql`CREATE TABLE IF NOT EXISTS steward_projections.migrations (
        name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`.execute(trx);
      const { rows } = await sql<{ name: string }>`SELECT name FROM steward_projections.migrations`.execute(trx);
      const applied = new Set(rows.map((row) => row.name));
      for (const [name, migration] of MIGRATIONS) {
        if (applied.has(name)) continue;
        await migration.up(trx);
        await sql`INSERT INTO steward_projections.migrations (name) VALUES (${name})`.execute(trx);
      }
    });
  }

  async read(name: string, trx?: Db): Promise<ProjectionCheckpoint | undefined> {
    const db = trx ? CheckpointRepository.on(trx) : this.table;
    const row = await db.selectFrom('checkpoints').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? toCheckpoint(row) : undefined;
  }

  async readAll(): Promise<ProjectionCheckpoint[]> {
    const rows = await this.table.selectFrom('checkpoints').selectAll().orderBy('name').execute();
    return rows.map(toCheckpoint);
  }

  /** Creates the row at START if missing; returns true when it did. */
  async initialize(trx: Db, name: string, version: number): Promise<boolean> {
    const result = await CheckpointRepository.on(trx)
      .insertInto('checkpoints')
      .values({ name, version, epoch: '0', events_applied: '0', owner: null, last_event_at: null, handover_to: null, handover_until: null, rebuilt_at: null })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  /**
   * A new leader takes the projection: bumps the epoch, fencing out every earlier writer, and records
   * which events it reads (`filter`; undefined: all) and whether writes wait for it (`awaited`), for
   * readers waiting on its progress.
   */
  async claim(trx: Db, name: string, owner: string, filter?: EventFilter, awaited = true): Promise<ProjectionCheckpoint> {
    const row = await CheckpointRepository.on(trx)
      .updateTable('checkpoints')
      .set({
        epoch: sql<string>`epoch + 1`,
        owner,
        updated_at: sql<Date>`now()`,
        event_types: filter?.eventTypes?.length ? [...filter.eventTypes] : null,
        stream_prefixes: filter?.streamPrefixes?.length ? [...filter.streamPrefixes] : null,
        awaited,
      })
      .where('name', '=', name)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new ProjectionError(ProjectionErrorCode.UnknownProjection, `no checkpoint row for ${name}`);
    return toCheckpoint(row);
  }

  /**
   * Moves the checkpoint from `from` to `to`, only if this writer still holds
   * the epoch and nobody moved it meanwhile. Call inside the batch's transaction:
   * when it throws `Fenced`, the read-model writes roll back with it.
   */
  async advance(trx: Db, update: AdvanceCheckpoint): Promise<void> {
    const result = await CheckpointRepository.on(trx)
      .updateTable('checkpoints')
      .set({
        commit_position: update.to.commit.toString(),
        prepare_position: update.to.prepare.toString(),
        events_applied: sql<string>`events_applied + ${update.eventsApplied}`,
        last_event_at: update.lastEventAt ? update.lastEventAt : sql<Date>`last_event_at`,
        updated_at: sql<Date>`now()`,
      })
      .where('name', '=', update.name)
      .where('epoch', '=', update.epoch.toString())
      .where('commit_position', '=', update.from.commit.toString())
      .where('prepare_position', '=', update.from.prepare.toString())
      .executeTakeFirst();
    if (result.numUpdatedRows !== 1n) {
      throw new ProjectionError(
        ProjectionErrorCode.Fenced,
        `projection ${update.name}: checkpoint was moved by another writer (epoch ${update.epoch} is stale)`,
        { name: update.name, epoch: update.epoch.toString() },
      );
    }
  }

  /** A rebuild's swap: the new read model's position, a new epoch (fencing out the old runner), version and count. */
  async replace(trx: Db, update: ReplaceCheckpoint, owner: string): Promise<ProjectionCheckpoint> {
    const values = {
      version: update.version,
      commit_position: update.position.commit.toString(),
      prepare_position: update.position.prepare.toString(),
      events_applied: update.eventsApplied.toString(),
      last_event_at: update.lastEventAt,
      owner,
    };
    const row = await CheckpointRepository.on(trx)
      .insertInto('checkpoints')
      .values({ name: update.name, ...values, epoch: '1', rebuilds: 1, rebuilt_at: sql<Date>`now()`, handover_to: null, handover_until: null })
      .onConflict((oc) =>
        oc.column('name').doUpdateSet({
          ...values,
          epoch: sql<string>`checkpoints.epoch + 1`,
          rebuilds: sql<number>`checkpoints.rebuilds + 1`,
          rebuilt_at: sql<Date>`now()`,
          updated_at: sql<Date>`now()`,
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toCheckpoint(row);
  }

  /**
   * Asks the leader to step down and every other runner to stay away for
   * `ttlMs` (a rebuild about to swap; it renews the request while it works).
   * Creates the row if the projection never ran. Times are the database's clock.
   */
  async requestHandover(name: string, version: number, requester: string, ttlMs: number): Promise<void> {
    const until = sql<Date>`now() + ${ttlMs} * interval '1 millisecond'`;
    await this.table
      .insertInto('checkpoints')
      .values({ name, version, epoch: '0', events_applied: '0', owner: null, last_event_at: null, rebuilt_at: null, handover_to: requester, handover_until: until })
      .onConflict((oc) => oc.column('name').doUpdateSet({ handover_to: requester, handover_until: until }))
      .execute();
  }

  async clearHandover(name: string, requester: string): Promise<void> {
    await this.table
      .updateTable('checkpoints')
      .set({ handover_to: null, handover_until: null })
      .where('name', '=', name)
      .where('handover_to', '=', requester)
      .execute();
  }

  /** Who, other than `me`, currently asks runners to stay away from `name` (undefined: nobody). */
  async pendingHandover(name: string, me: string): Promise<string | undefined> {
    const row = await this.table
      .selectFrom('checkpoints')
      .select('handover_to')
      .where('name', '=', name)
      .where('handover_to', 'is not', null)
      .where('handover_to', '<>', me)
      .where('handover_until', '>', sql<Date>`now()`)
      .executeTakeFirst();
    return row?.handover_to ?? undefined;
  }
}

export function toCheckpoint(row: CheckpointRow): ProjectionCheckpoint {
  return {
    name: row.name,
    version: row.version,
    position: { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) },
    eventsApplied: BigInt(row.events_applied),
    epoch: BigInt(row.epoch),
    owner: row.owner,
    lastEventAt: row.last_event_at,
    updatedAt: row.updated_at,
    handoverTo: row.handover_to,
    handoverUntil: row.handover_until,
    rebuilds: row.rebuilds,
    rebuiltAt: row.rebuilt_at,
  };
}
