import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { type TestEnv, createTestEnv } from '@steward/testing';
import { describeEventStoreContract } from '../testing/event-store.contract';
import { PostgresEventStore } from './postgres-event-store';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => {
  await env?.dispose();
});

/** A fresh schema per test: `$all` starts empty. */
async function freshStore(): Promise<PostgresEventStore> {
  const store = new PostgresEventStore({ pool: env.pool, schema: `es_${randomUUID().replace(/-/g, '').slice(0, 12)}` });
  await store.migrate();
  return store;
}

describeEventStoreContract(
  'PostgreSQL event store contract',
  async () => {
    const store = await freshStore();
    return {
      store,
      faults: {
        connect: async () => {
          const client = new pg.Client({ connectionString: env.databaseUrl });
          await client.connect();
          return client;
        },
        appendWithin: (client, streamId, events, options) => store.appendWithin(client, streamId, events, options),
      },
      dispose: () => store.close(),
    };
  },
  { postgresFaults: true },
);
