import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { type TestEnv, createTestEnv } from '@steward/testing';
import { IdempotentInbox } from './idempotent-inbox';

interface CounterTable {
  id: string;
  value: number;
}
interface DB {
  counters: CounterTable;
}

describe('IdempotentInbox', () => {
  let env: TestEnv;
  let db: Kysely<DB>;
  let inbox: IdempotentInbox<DB>;

  beforeAll(async () => {
    env = await createTestEnv();
    db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: env.pool }) });
    inbox = new IdempotentInbox({ db, schema: 'inbox_test' });
    await Promise.all([inbox.migrate(), inbox.migrate(), new IdempotentInbox({ db, schema: 'inbox_test' }).migrate()]);
    await sql`CREATE TABLE counters (id text PRIMARY KEY, value int NOT NULL)`.execute(db);
  });

  // The pool belongs to the env: dispose() ends it (destroying the Kysely instance would end it twice).
  afterAll(() => env?.dispose());

  async function increment(counter: string, consumer: string, eventId: string) {
    return inbox.applyOnce(consumer, eventId, async (trx) => {
      await trx
        .insertInto('counters')
        .values({ id: counter, value: 1 })
        .onConflict((oc) => oc.column('id').doUpdateSet({ value: sql<number>`counters.value + 1` }))
        .execute();
      return 'incremented';
    });
  }

  async function valueOf(counter: string): Promise<number | undefined> {
    const row = await db.selectFrom('counters').select('value').where('id', '=', counter).executeTakeFirst();
    return row?.value;
  }

  it('applies an event once, however often it is delivered', async () => {
    const eventId = randomUUID();
    expect(await increment('a', 'projector', eventId)).toEqual({ applied: true, result: 'incremented' });
    expect(await increment('a', 'projector', eventId)).toEqual({ applied: false });
    expect(await increment('a', 'projector', eventId)).toEqual({ applied: false });
    expect(await valueOf('a')).toBe(1);
    expect(await inbox.hasApplied('projector', eventId)).toBe(true);
  });

  it('keeps consumers apart: each applies the event once', async () => {
    const eventId = randomUUID();
    await increment('b', 'billing', eventId);
    await increment('b', 'alerts', eventId);
    await increment('b', 'alerts', eventId);
    expect(await valueOf('b')).toBe(2);
  });

  it('applies once when the same event is delivered concurrently', async () => {
    const eventId = randomUUID();
    const results = await Promise.all(Array.from({ length: 8 }, () => increment('c', 'projector', eventId)));
    expect(results.filter((result) => result.applied)).toHaveLength(1);
    expect(await valueOf('c')).toBe(1);
  });

  it('records nothing when the effect fails, so the redelivery applies it', async () => {
    const eventId = randomUUID();
    await expect(
      inbox.applyOnce('projector', eventId, async (trx) => {
        await trx.insertInto('counters').values({ id: 'd', value: 1 }).execute();
        throw new Error('read model write failed');
      }),
    ).rejects.toThrow('read model write failed');
    expect(await inbox.hasApplied('projector', eventId)).toBe(false);
    expect(await valueOf('d')).toBeUndefined();

    expect((await increment('d', 'projector', eventId)).applied).toBe(true);
    expect(await valueOf('d')).toBe(1);
  });

  it('records inside a transaction the caller runs', async () => {
    const eventId = randomUUID();
    const first = await db.transaction().execute((trx) => inbox.recordIn(trx, 'own-trx', eventId));
    const again = await db.transaction().execute((trx) => inbox.recordIn(trx, 'own-trx', eventId));
    expect([first, again]).toEqual([true, false]);
  });
});
