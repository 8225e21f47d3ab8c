import { sql } from 'kysely';
import { defineProjection, projectionSchema, type ProjectionDefinition, type ProjectionLogger } from '../src';
import { createFixture, eventually, type Fixture } from './projection.fixtures';

jest.setTimeout(60_000);

/**
 * The `notes` projection at a given version: one row per event, stamped with the version that wrote it, so
 * the test sees which code built the rows that answer.
 */
function notes(version: number, gate?: () => Promise<void>): ProjectionDefinition {
  return defineProjection({
    name: 'notes',
    version,
    streamPrefixes: ['notes-'],
    async migrate(db) {
      await db.schema
        .createTable('notes')
        .addColumn('event_id', 'uuid', (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('written_by', 'integer', (c) => c.notNull())
        .execute();
    },
    async handle(trx, events) {
      await gate?.();
      await trx
        .insertInto('notes')
        .values(events.map((event) => ({ event_id: event.eventId, type: event.type, written_by: version })))
        .execute();
    },
  });
}

/** Collects log lines (the host reports the rebuild's progress through its logger). */
function recordingLogger(): ProjectionLogger & { lines: Array<{ level: string; message: string; fields: Record<string, unknown> }> } {
  const lines: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
  return {
    lines,
    info: (fields, message) => lines.push({ level: 'info', message, fields }),
    warn: (fields, message) => lines.push({ level: 'warn', message, fields }),
    error: (fields, message) => lines.push({ level: 'error', message, fields }),
  };
}

describe('ProjectionHost rebuildOutdated (PostgreSQL)', () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await createFixture();
  });

  afterAll(async () => {
    await f.dispose();
  });

  async function rowsByVersion(): Promise<Map<number, number>> {
    const { rows } = await sql<{ written_by: number; n: string }>`
      SELECT written_by, count(*) AS n FROM ${sql.id(projectionSchema('notes'), 'notes')} GROUP BY written_by`.execute(f.db);
    return new Map(rows.map((row) => [row.written_by, Number(row.n)]));
  }

  it('rebuilds a read model of an older version on start, logs its progress, then serves new events', async () => {
    // version 1 builds the read model
    for (let i = 0; i < 5; i++) await f.append('notes', ['NoteTaken', 'NoteTaken', 'NoteDropped']);
    const v1 = f.host({ projections: [notes(1)], instanceId: 'v1' });
    await v1.start();
    await v1.runner('notes').waitForPosition(f.lastAppended);
    await v1.stop();
    expect(await rowsByVersion()).toEqual(new Map([[1, 15]]));

    // without rebuildOutdated, version 2 only reports it (what the CLI is for)
    const manual = f.host({ projections: [notes(2)], instanceId: 'v2-manual', logger: recordingLogger() });
    await manual.start();
    await eventually(async () => manual.runner('notes').state === 'needs_rebuild', 10_000, 'needs_rebuild');
    await manual.stop();
    expect(await rowsByVersion()).toEqual(new Map([[1, 15]]));

    // version 2 with rebuildOutdated: rebuilt from the store into a new schema, swapped in, then live
    const logger = recordingLogger();
    const v2 = f.host({ projections: [notes(2)], instanceId: 'v2', logger, rebuildOutdated: { progressIntervalMs: 0, batchSize: 4 } });
    await v2.start();
    await v2.outdatedRebuilt();
    expect(await rowsByVersion()).toEqual(new Map([[2, 15]]));
    expect((await v2.status())[0]).toMatchObject({ name: 'notes', version: 2, storedVersion: 2 });
    await eventually(async () => v2.runner('notes').state === 'active', 10_000, 'the runner to serve again');

    await f.append('notes', ['NoteTaken']);
    await v2.runner('notes').waitForPosition(f.lastAppended);
    expect(await rowsByVersion()).toEqual(new Map([[2, 16]]));

    const messages = logger.lines.map((line) => line.message);
    expect(messages).toContain('read model built by an older version of the projection: rebuilding it');
    expect(messages).toContain('outdated read model rebuilt and swapped in: serving');
    const phases = logger.lines.filter((line) => line.message === 'rebuilding an outdated read model').map((line) => line.fields.phase);
    expect(phases).toEqual(expect.arrayContaining(['replay', 'swap', 'done']));
    expect(logger.lines.filter((line) => line.level === 'error')).toEqual([]);
    // no shadow or old schema is left behind
    const { rows } = await sql<{ nspname: string }>`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rm_notes%' ORDER BY nspname`.execute(f.db);
    expect(rows.map((row) => row.nspname)).toEqual(['rm_notes']);
    await v2.stop();
  });

  it('leaves a read model of a newer version alone, and does nothing when the versions match', async () => {
    const logger = recordingLogger();
    const older = f.host({ projections: [notes(1)], instanceId: 'old-code', logger, rebuildOutdated: true });
    await older.start();
    await older.outdatedRebuilt();
    expect(logger.lines.map((line) => line.message)).toContain('read model built by a newer version of the projection: left to a replica that runs it');
    await older.stop();
    expect(await rowsByVersion()).toEqual(new Map([[2, 16]]));

    const same = f.host({ projections: [notes(2)], instanceId: 'same', logger: recordingLogger(), rebuildOutdated: true });
    await same.start();
    await same.outdatedRebuilt();
    await f.append('notes', ['NoteTaken']);
    await same.runner('notes').waitForPosition(f.lastAppended);
    expect(await rowsByVersion()).toEqual(new Map([[2, 17]]));
    await same.stop();
  });

  it('stops a rebuild under way when the host stops: the live read model is untouched, the next start finishes it', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered = 0;
    const logger = recordingLogger();
    const blocked = f.host({
      projections: [
        notes(3, async () => {
          entered++;
          await held;
        }),
      ],
      instanceId: 'v3-stopped',
      logger,
      rebuildOutdated: { batchSize: 4 },
    });
    await blocked.start();
    await eventually(async () => entered > 0, 10_000, 'the rebuild to start replaying');
    const stopped = blocked.stop();
    release();
    await stopped;
    expect(await rowsByVersion()).toEqual(new Map([[2, 17]]));
    expect((await blocked.status())[0]).toMatchObject({ storedVersion: 2 });
    expect(logger.lines.filter((line) => line.level === 'error')).toEqual([]);

    const resumed = f.host({ projections: [notes(3)], instanceId: 'v3', logger: recordingLogger(), rebuildOutdated: true });
    await resumed.start();
    await resumed.outdatedRebuilt();
    expect(await rowsByVersion()).toEqual(new Map([[3, 17]]));
    await resumed.stop();
  });
});
